-- Run last, in the same transaction as the lines of environments.yaml (staging section).
UPDATE res_company SET name = name || ' (staging)' WHERE name NOT LIKE '% (staging)';
