-- Bank accounts: one per employee private address first (so employee e's account is id e), then
-- every fourth customer. Valid, unique Belgian IBANs, typed with spaces as people do.

INSERT INTO res_partner_bank (id, partner_id, sequence, currency_id, company_id, acc_number, sanitized_acc_number,
                              acc_holder_name, active, allow_out_payment, create_uid, write_uid, create_date, write_date)
SELECT row_number() OVER (ORDER BY p.id), p.id, 10, NULL, NULL, pg_temp.spaced(iban), iban, p.name, true,
       p.type = 'private', p.create_uid, p.write_uid, p.create_date, p.write_date
  FROM plan
  JOIN res_partner AS p ON p.type = 'private' OR (p.id >= plan.contact_partner0 AND mod(p.id, 4) = 0)
 CROSS JOIN LATERAL (SELECT pg_temp.iban(p.id) AS iban) AS b
 ORDER BY p.id;
