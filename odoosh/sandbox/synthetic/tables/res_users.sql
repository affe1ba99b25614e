-- Users: 1 __system__ (OdooBot, inactive), 2 admin, 3 the public user (inactive), then internal
-- and portal users logging in with their partner's email. User u's partner is u + 1.
-- Passwords are pbkdf2 hashes; some internal users have 2FA secrets, Google/Outlook calendar
-- tokens or a Google login (the token columns calendar sync and OAuth keep on res_users in 16).

INSERT INTO res_users (
    id, company_id, partner_id, active, login, password, action_id, signature, share, totp_secret,
    notification_type, odoobot_state, odoobot_failed, microsoft_calendar_rtoken, microsoft_calendar_token,
    microsoft_calendar_token_validity, google_calendar_account_id, sale_team_id, oauth_provider_id,
    oauth_uid, oauth_access_token, website_id, create_uid, write_uid, create_date, write_date)
SELECT u.id, 1, p.id, u.id NOT IN (1, 3),
       CASE u.id WHEN 1 THEN '__system__' WHEN 2 THEN 'admin' WHEN 3 THEN 'public' ELSE p.email END,
       CASE WHEN u.id <> 3 THEN pg_temp.pbkdf2('password:' || u.id, 25000) END,
       NULL,
       CASE WHEN u.id > 3 OR u.id = 2
            THEN '<p>--<br>' || p.name || coalesce('<br>' || p.function, '') || '<br>' || coalesce(p.mobile, p.phone)
                 || ' | <a href="mailto:' || p.email || '">' || p.email || '</a></p>' END,
       kind.share,
       CASE WHEN NOT kind.share AND mod(u.id, 4) = 0
            THEN translate(upper(pg_temp.secret('totp:' || u.id, 32)), '0189', 'QRST') END,
       CASE WHEN NOT kind.share AND pg_temp.rnd(u.id, 50, 2) = 0 THEN 'inbox' ELSE 'email' END,
       CASE WHEN NOT kind.share THEN 'idle' END,
       false,
       CASE WHEN kind.outlook THEN 'M.C507_BAY.0.U.-' || pg_temp.secret('ms-refresh:' || u.id, 120) END,
       CASE WHEN kind.outlook THEN 'EwBwA8l6BAAU' || pg_temp.secret('ms-access:' || u.id, 120) END,
       CASE WHEN kind.outlook THEN pg_temp.moment(u.id, 51) END,
       CASE WHEN kind.google_calendar THEN u.id END,
       CASE WHEN NOT kind.share AND u.id > 1 THEN 1 + pg_temp.rnd(u.id, 52, 3) END,
       CASE WHEN kind.google_login THEN 3 END,
       CASE WHEN kind.google_login THEN '1' || lpad(pg_temp.rnd(u.id, 53, 1000000000)::text, 9, '0') || lpad(u.id::text, 11, '0') END,
       CASE WHEN kind.google_login THEN 'ya29.a0Af' || pg_temp.secret('oauth:' || u.id, 110) END,
       NULL,
       1, CASE WHEN u.id > 3 THEN 2 ELSE 1 END,
       p.create_date, p.write_date
  FROM plan
 CROSS JOIN generate_series(1, plan.users) AS u (id)
  JOIN res_partner AS p ON p.id = u.id + 1
 CROSS JOIN LATERAL (
       SELECT u.id = 3 OR u.id >= 4 + plan.internal_users AS share,
              u.id BETWEEN 4 AND 3 + plan.internal_users AND mod(u.id, 5) = 1 AS outlook,
              u.id BETWEEN 4 AND 3 + plan.internal_users AND mod(u.id, 3) = 0 AS google_calendar,
              u.id BETWEEN 4 AND 3 + plan.internal_users AND mod(u.id, 6) = 5 AS google_login) AS kind;
