#ifndef CMULTIPROCESSING_POSTGRES_H
#define CMULTIPROCESSING_POSTGRES_H

// The environment variable that makes an executable a worker host of a PostgreSQL queue
// before main: its value is the queue's name.
#define CMP_POSTGRES_HOST_ENV "MULTIPROCESSING_POSTGRES_WORKER"

#endif
