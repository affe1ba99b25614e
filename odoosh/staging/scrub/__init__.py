"""PII scrubbing of an Odoo database copy: the policy, the scrubber and the two gates that prove it
(coverage: every PII-looking column is classified; leaks: no production value survives)."""
