-- Session-local helpers for the table recipes (schema pg_temp: they vanish with the session).
-- Every "random" choice is a hash of a row key, a salt per use and the build seed, so one seed
-- always yields the same database. The generator fills in the seed and the pool size.

-- A number in 0..n-1.
CREATE FUNCTION pg_temp.rnd(key bigint, salt integer, n integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN mod(hashint8extended(key, salt + 7919::bigint * {seed}) & 2147483647, n)::integer;

-- An index into a value pool.
CREATE FUNCTION pg_temp.pick(key bigint, salt integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN pg_temp.rnd(key, salt, {pool_size});

-- When the database was created and its modules installed.
CREATE FUNCTION pg_temp.installed_at() RETURNS timestamp
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN timestamp '2019-01-02 09:14:07';

-- A moment in the five years of the database's history.
CREATE FUNCTION pg_temp.moment(key bigint, salt integer) RETURNS timestamp
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN timestamp '2019-01-01' + make_interval(secs => pg_temp.rnd(key, salt, 157680000));

-- Row `key` of `n`, spread evenly over the same five years: ids grow with time, as in Odoo.
CREATE FUNCTION pg_temp.spread(key bigint, n bigint) RETURNS timestamp
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN timestamp '2019-01-01' + interval '1825 days' * (key::float8 / greatest(n, 1))
           + make_interval(secs => pg_temp.rnd(key, 0, 3600));

-- A hex secret (token, API key, password) of up to 128 characters, derived from a label.
CREATE FUNCTION pg_temp.secret(label text, len integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN left(encode(sha512(convert_to(label || ':' || {seed}, 'UTF8')), 'hex'), len);

-- A version 4 UUID derived from a label.
CREATE FUNCTION pg_temp.uuid(label text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN overlay(overlay(pg_temp.secret(label, 32) PLACING '4' FROM 13) PLACING '8' FROM 17)::uuid::text;

-- passlib's "adapted base64" of a digest: no padding, '.' instead of '+'.
CREATE FUNCTION pg_temp.ab64(label text, len integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN left(translate(replace(encode(sha512(convert_to(label || ':' || {seed}, 'UTF8')), 'base64'),
                                  E'\n', ''), '+=', '.'), len);

-- A passlib pbkdf2_sha512 hash, the format of res_users.password and Odoo's API key hashes.
CREATE FUNCTION pg_temp.pbkdf2(label text, rounds integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '$pbkdf2-sha512$' || rounds || '$' || pg_temp.ab64(label || ':salt', 22) || '$' || pg_temp.ab64(label, 86);

-- The email and web domain of company `key`, from its name's slug.
CREATE FUNCTION pg_temp.company_domain(slug text, key bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN slug || '.' || (ARRAY['com', 'be', 'eu', 'net', 'fr', 'de'])[1 + pg_temp.rnd(key, 14, 6)];

-- A valid Belgian IBAN (national and IBAN check digits) that is unique per key.
CREATE FUNCTION pg_temp.iban(key bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (SELECT 'BE' || lpad((98 - mod((bban || '111400')::numeric, 97))::text, 2, '0') || bban
              FROM (SELECT account || lpad(coalesce(nullif(mod(account::bigint, 97), 0), 97)::text, 2, '0') AS bban
                      FROM (SELECT lpad((1000000000 + key * 7 + pg_temp.rnd(key, 1, 7))::text, 10, '0') AS account) AS a) AS b);

-- Groups of four characters, as people type IBANs.
CREATE FUNCTION pg_temp.spaced(compact text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN rtrim(regexp_replace(compact, '(....)', '\1 ', 'g'));

-- The company as res_partner.sql made it (partner 1), for the recipes that configure servers.
CREATE VIEW pg_temp.main_company AS
    SELECT name, email, phone, street, zip, city, vat, website, split_part(email, '@', 2) AS domain
      FROM res_partner
     WHERE id = 1;
