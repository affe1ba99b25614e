-- What users leave behind when they log in and connect things: login records, API keys, 2FA
-- devices, Google Calendar credentials. Keys are stored hashed (pbkdf2, 6000 rounds, as Odoo's
-- KEY_CRYPT_CONTEXT does) with their first 8 characters as `index`.

INSERT INTO res_users_log (create_uid, write_uid, create_date, write_date)
SELECT u.id, u.id, at, at
  FROM plan
 CROSS JOIN generate_series(2, 3 + plan.internal_users) AS u (id)
 CROSS JOIN LATERAL generate_series(1, 1 + pg_temp.rnd(u.id, 60, 12)) AS n (i)
 CROSS JOIN LATERAL (SELECT pg_temp.moment(u.id * 100 + n.i, 61) AS at) AS t
 WHERE u.id <> 3
 ORDER BY at, u.id;

INSERT INTO res_users_apikeys (name, user_id, scope, index, key, create_date)
SELECT (ARRAY['Zapier', 'Backup script', 'Power BI', 'Mobile app', 'Shop sync'])[1 + pg_temp.rnd(u.id, 62, 5)],
       u.id, 'rpc', left(pg_temp.secret('apikey:' || u.id, 40), 8), pg_temp.pbkdf2('apikey:' || u.id, 6000),
       pg_temp.moment(u.id, 63)
  FROM plan
 CROSS JOIN generate_series(2, 3 + plan.internal_users) AS u (id)
 WHERE u.id <> 3 AND mod(u.id, 4) IN (0, 2)
 ORDER BY u.id;

INSERT INTO auth_totp_device (name, user_id, scope, index, key, create_date)
SELECT (ARRAY['Chrome on Windows', 'Firefox on Linux', 'Safari on macOS', 'Edge on Windows'])[1 + pg_temp.rnd(u.id, 64, 4)],
       u.id, 'browser', left(pg_temp.secret('device:' || u.id, 40), 8), pg_temp.pbkdf2('device:' || u.id, 6000),
       pg_temp.moment(u.id, 65)
  FROM res_users AS u
 WHERE u.totp_secret IS NOT NULL
 ORDER BY u.id;

INSERT INTO google_calendar_credentials (id, calendar_rtoken, calendar_token, calendar_sync_token, calendar_cal_id,
                                         synchronization_stopped, calendar_token_validity,
                                         create_uid, write_uid, create_date, write_date)
SELECT u.id, '1//09' || pg_temp.secret('gcal-refresh:' || u.id, 100), 'ya29.a0Af' || pg_temp.secret('gcal-access:' || u.id, 120),
       'CPjR' || pg_temp.secret('gcal-sync:' || u.id, 24), u.login, false, pg_temp.moment(u.id, 66),
       u.id, u.id, pg_temp.moment(u.id, 67), pg_temp.moment(u.id, 67)
  FROM res_users AS u
 WHERE u.google_calendar_account_id IS NOT NULL;
