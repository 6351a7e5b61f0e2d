#ifndef CMULTIPROCESSING_POSTGRES_H
#define CMULTIPROCESSING_POSTGRES_H

// The environment variable that makes an executable a worker host of a PostgreSQL queue
// before main: its value is the queue's name.
#define CMP_POSTGRES_HOST_ENV "MULTIPROCESSING_POSTGRES_WORKER"

// The database's URL, given in the environment (the host moves it out before anything runs).
#define CMP_POSTGRES_URL_ENV "MULTIPROCESSING_POSTGRES_URL"

// A descriptor open on the URL's text (set by the host itself when it moves the URL out of its
// environment, or by a launcher): read once, then closed.
#define CMP_POSTGRES_URL_FD_ENV "MULTIPROCESSING_POSTGRES_URL_FD"

#endif
