-- Outgoing emails kept in the queue: every other public comment was also mailed to a customer
-- (with the company footer). Most were sent, some bounced with the address in the SMTP error,
-- some are still waiting.

INSERT INTO mail_mail (
    mail_message_id, fetchmail_server_id, email_cc, state, failure_type, body_html, "references", headers, email_to,
    failure_reason, is_notification, auto_delete, to_delete, scheduled_date, create_uid, write_uid, create_date, write_date)
SELECT m.id, NULL,
       CASE WHEN pg_temp.rnd(m.id, 300, 4) = 0 THEN '"' || cc.name || '" <' || cc.email || '>' END,
       s.state,
       CASE WHEN s.state = 'exception' THEN 'mail_smtp' END,
       m.body || '<div style="font-size: 13px;">Sent by <a href="https://www.' || c.domain || '">' || c.name
           || '</a> using <a href="https://www.odoo.com">Odoo</a>.</div>',
       m.message_id,
       '{''Return-Path'': ''bounce+' || m.id || '-' || m.model || '-' || m.res_id || '@' || c.domain || '''}',
       '"' || rcpt.name || '" <' || rcpt.email || '>',
       CASE WHEN s.state = 'exception'
            THEN 'SMTPRecipientsRefused: {''' || rcpt.email || ''': (550, b''5.1.1 <' || rcpt.email
                 || '>: Recipient address rejected: User unknown in virtual mailbox table'')}' END,
       true, false, false,
       CASE WHEN s.state = 'outgoing' THEN m.date + interval '1 hour' END,
       m.create_uid, m.write_uid, m.date, m.date + interval '2 minutes'
  FROM plan
 CROSS JOIN pg_temp.main_company AS c
  JOIN mail_message AS m ON m.message_type = 'comment' AND NOT m.is_internal AND mod(m.id, 2) = 0
 CROSS JOIN LATERAL (
       SELECT CASE WHEN x < 8 THEN 'sent' WHEN x = 8 THEN 'exception' ELSE 'outgoing' END AS state
         FROM (SELECT pg_temp.rnd(m.id, 301, 10) AS x) AS r) AS s
  JOIN res_partner AS rcpt ON rcpt.id = plan.contact_partner0 + pg_temp.rnd(m.id, 302, plan.contacts)
  JOIN res_partner AS cc ON cc.id = plan.contact_partner0 + pg_temp.rnd(m.id, 303, plan.contacts)
 ORDER BY m.id;
