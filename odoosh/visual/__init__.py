"""Visual parity: screenshots of previews against baselines taken from staging (README "Visual gate")."""
