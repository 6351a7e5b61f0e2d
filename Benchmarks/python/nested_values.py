"""nested-values: Pool.map over 10,000 nested orders (dicts: a customer with an address, 20
lines, 3 tags), default chunking; the worker returns a summary of every line; orders/s."""
import time

import mpbench_common as common

LINES_PER_ORDER = 20


def make(index, lines):
    """Order `index`, as our side's BenchOrder.make builds it."""
    return {
        "id": index,
        "customer": {"id": index % 997, "name": f"customer {index % 997}",
                     "address": {"street": f"{index % 89} Long Street", "city": f"City {index % 13}",
                                 "postcode": f"PC{index % 10_000}"}},
        "lines": [{"sku": f"SKU-{index % 50}-{line}", "quantity": 1 + (index + line) % 7,
                   "price": ((index * 31 + line * 17) % 10_000) / 100} for line in range(lines)],
        "tags": [f"tag{index % 3}", f"tag{index % 5}", f"tag{index % 7}"],
    }


def summary(order):
    """From every line, the tags and the address (our side's BenchOrder.summary)."""
    total = 0.0
    quantity = sku_bytes = 0
    for line in order["lines"]:
        total += line["quantity"] * line["price"]
        quantity += line["quantity"]
        sku_bytes += len(line["sku"].encode())
    address = order["customer"]["address"]
    return {"id": order["id"], "customer": order["customer"]["id"], "total": total, "quantity": quantity,
            "skuBytes": sku_bytes, "tagBytes": sum(len(tag.encode()) for tag in order["tags"]),
            "addressBytes": len(address["street"].encode()) + len(address["city"].encode())
            + len(address["postcode"].encode())}


def main():
    args = common.parse_args()
    count = 1_000 if args.quick else 10_000
    orders = [make(i, LINES_PER_ORDER) for i in range(count)]
    workers = common.cpus()
    with common.context(args).Pool(workers) as pool:
        meter = common.CPUMeter(common.warm_up(pool, workers))
        start = time.perf_counter()
        summaries = pool.map(summary, orders)
        seconds = time.perf_counter() - start
        cpu = meter.metrics()
    # Every summary computed again here (after the clock), as our side checks.
    if len(summaries) != count:
        raise AssertionError(f"{len(summaries)} summaries for {count} orders")
    for order, result in zip(orders, summaries):
        if result != summary(order):
            raise AssertionError(f"order {order['id']}'s summary is {result!r}")
    common.emit(orders_per_s=count / seconds, seconds=seconds, orders=count, lines_per_order=LINES_PER_ORDER,
                workers=workers, **cpu)


if __name__ == "__main__":
    main()
