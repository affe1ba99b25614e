-- The one company, made from partner 1, with its report layout and social links.

INSERT INTO res_company (
    id, name, partner_id, currency_id, sequence, parent_id, email, phone, mobile, font, primary_color,
    secondary_color, layout_background, report_footer, report_header, company_details, active,
    resource_calendar_id, base_onboarding_company_state, payment_provider_onboarding_state,
    social_twitter, social_facebook, social_github, social_linkedin, social_youtube, social_instagram,
    hr_presence_control_email_amount, hr_presence_control_ip_list, iap_enrich_auto_done,
    create_uid, write_uid, create_date, write_date)
SELECT 1, c.name, 1, 1, 10, NULL, c.email, c.phone, NULL, 'Lato', '#875a7b', '#7b92ad', 'Blank',
       jsonb_build_object('en_US', '<p>' || c.phone || ' | ' || c.email || ' | ' || c.website || ' | VAT: ' || c.vat || '</p>'),
       NULL,
       '<p>' || c.name || '<br>' || c.street || '<br>' || c.zip || ' ' || c.city || '<br>' || c.phone || '</p>',
       true, 1, 'done', 'done',
       'https://twitter.com/' || handle, 'https://www.facebook.com/' || handle, 'https://github.com/' || handle,
       'https://www.linkedin.com/company/' || handle, 'https://www.youtube.com/@' || handle,
       'https://www.instagram.com/' || handle,
       0, '81.240.12.7 81.240.12.8', true,
       1, 2, pg_temp.installed_at(), pg_temp.installed_at() + interval '2 days'
  FROM pg_temp.main_company AS c
 CROSS JOIN LATERAL (SELECT split_part(c.domain, '.', 1) AS handle) AS h;
