"""Plain (Dagster-free) domain logic of odoosh: synthetic Odoo data, the Odoo stand-in,
smoke probes, PII scrubbing and neutralisation. Assets in `odoosh_assets` and resources in
`resources` build on it."""
