"""Synthetic cities for tests and benchmarks: deliveries written to the contract in
../shared/spec/delivery.md, with the truth an independent oracle computes from the true links.

    city = make_city(tmp, n_persons=60_000, difficulty="hard", seed=1)
    city.manifest_path      # FOLDER/delivery/delivery.toml
    city.truth              # what OUT/summary.json must say with perfect linkage, plus
                            # city.truth["prevalence"]: seen, unseen and total MPG families
    city.truth_links        # agency, file, record_id, person_id of every usable row
    city.truth_capture      # seen and latent family households: their lists, class, ...
    city.cases              # people a linker can confuse, by kind; "deciding_records"

    quarters = make_quarters(tmp, n_quarters=4, n_persons=60_000, seed=1)
"""
from mpg.data_fixtures.city import City, make_city, make_quarters, quarter_period

__all__ = ["City", "make_city", "make_quarters", "quarter_period"]
