-- A faithful subset of an Odoo 16 database schema, for synthetic production data.
--
-- Tables, column names and types, constraints, indexes and foreign keys (with Odoo's ON DELETE
-- rules) are copied from the schema dump of a real Odoo 16 database
-- (odoo-schemas/odoo16-maaranodoo-mmdb.sql). Columns of apps outside this subset (accounting,
-- inventory, sales, purchase, manufacturing, point of sale, the Indian localisation,
-- gamification, live chat, eCommerce, eLearning, forum, SMS, email marketing) are left out, and
-- so are foreign keys to tables outside it: such columns stay, unconstrained.
--
-- Like a pg_dump, the file has two sections: the tables, then (after the post-data marker)
-- keys, indexes and foreign keys, which the generator applies after loading the rows.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE res_lang (
    id serial NOT NULL,
    create_uid integer,
    write_uid integer,
    name character varying NOT NULL,
    code character varying NOT NULL,
    iso_code character varying,
    url_code character varying NOT NULL,
    direction character varying NOT NULL,
    date_format character varying NOT NULL,
    time_format character varying NOT NULL,
    week_start character varying NOT NULL,
    "grouping" character varying NOT NULL,
    decimal_point character varying NOT NULL,
    thousands_sep character varying,
    active boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

CREATE TABLE res_currency (
    id serial NOT NULL,
    name character varying NOT NULL,
    symbol character varying NOT NULL,
    decimal_places integer,
    create_uid integer,
    write_uid integer,
    full_name character varying,
    "position" character varying,
    currency_unit_label character varying,
    currency_subunit_label character varying,
    rounding numeric,
    active boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone,
    CONSTRAINT res_currency_rounding_gt_zero CHECK ((rounding > (0)::numeric))
);

CREATE TABLE res_country (
    id serial NOT NULL,
    address_view_id integer,
    currency_id integer,
    phone_code integer,
    create_uid integer,
    write_uid integer,
    code character varying(2),
    name_position character varying,
    name jsonb NOT NULL,
    vat_label jsonb,
    address_format text,
    state_required boolean,
    zip_required boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

CREATE TABLE res_partner (
    id serial NOT NULL,
    company_id integer,
    create_date timestamp without time zone,
    name character varying,
    title integer,
    parent_id integer,
    user_id integer,
    state_id integer,
    country_id integer,
    industry_id integer,
    color integer,
    commercial_partner_id integer,
    create_uid integer,
    write_uid integer,
    display_name character varying,
    ref character varying,
    lang character varying,
    tz character varying,
    vat character varying,
    company_registry character varying,
    website character varying,
    function character varying,
    type character varying,
    street character varying,
    street2 character varying,
    zip character varying,
    city character varying,
    email character varying,
    phone character varying,
    mobile character varying,
    commercial_company_name character varying,
    company_name character varying,
    date date,
    comment text,
    partner_latitude numeric,
    partner_longitude numeric,
    active boolean,
    employee boolean,
    is_company boolean,
    partner_share boolean,
    write_date timestamp without time zone,
    message_main_attachment_id integer,
    message_bounce integer,
    email_normalized character varying,
    signup_token character varying,
    signup_type character varying,
    signup_expiration timestamp without time zone,
    partner_gid integer,
    additional_info character varying,
    phone_sanitized character varying,
    calendar_last_notif_ack timestamp without time zone,
    team_id integer,
    website_id integer,
    is_published boolean,
    website_meta_og_img character varying,
    website_meta_title jsonb,
    website_meta_description jsonb,
    website_meta_keywords jsonb,
    seo_name jsonb,
    website_description jsonb,
    website_short_description jsonb,
    -- custom fields added in Settings > Technical (ir_model_fields.state = 'manual'), as most
    -- production databases have some
    x_date_of_birth date,
    x_private_notes text,
    CONSTRAINT res_partner_check_name CHECK (((((type)::text = 'contact'::text) AND (name IS NOT NULL)) OR ((type)::text <> 'contact'::text)))
);

CREATE TABLE res_company (
    id serial NOT NULL,
    name character varying NOT NULL,
    partner_id integer NOT NULL,
    currency_id integer NOT NULL,
    sequence integer,
    create_date timestamp without time zone,
    parent_id integer,
    paperformat_id integer,
    external_report_layout_id integer,
    create_uid integer,
    write_uid integer,
    email character varying,
    phone character varying,
    mobile character varying,
    base_onboarding_company_state character varying,
    font character varying,
    primary_color character varying,
    secondary_color character varying,
    layout_background character varying NOT NULL,
    report_footer jsonb,
    report_header text,
    company_details text,
    active boolean,
    write_date timestamp without time zone,
    logo_web bytea,
    resource_calendar_id integer,
    partner_gid integer,
    iap_enrich_auto_done boolean,
    payment_provider_onboarding_state character varying,
    payment_onboarding_payment_method character varying,
    social_twitter character varying,
    social_facebook character varying,
    social_github character varying,
    social_linkedin character varying,
    social_youtube character varying,
    social_instagram character varying,
    hr_presence_control_email_amount integer,
    hr_presence_control_ip_list character varying,
    website_id integer
);

CREATE TABLE resource_calendar (
    id serial NOT NULL,
    company_id integer,
    create_uid integer,
    write_uid integer,
    name character varying NOT NULL,
    tz character varying NOT NULL,
    active boolean,
    two_weeks_calendar boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone,
    hours_per_day double precision
);

CREATE TABLE res_users (
    id serial NOT NULL,
    company_id integer NOT NULL,
    partner_id integer NOT NULL,
    active boolean DEFAULT true,
    create_date timestamp without time zone,
    login character varying NOT NULL,
    password character varying,
    action_id integer,
    create_uid integer,
    write_uid integer,
    signature text,
    share boolean,
    write_date timestamp without time zone,
    totp_secret character varying,
    notification_type character varying NOT NULL,
    odoobot_state character varying,
    odoobot_failed boolean,
    microsoft_calendar_rtoken character varying,
    microsoft_calendar_token character varying,
    microsoft_calendar_token_validity timestamp without time zone,
    google_calendar_account_id integer,
    sale_team_id integer,
    oauth_provider_id integer,
    oauth_uid character varying,
    oauth_access_token character varying,
    website_id integer,
    CONSTRAINT res_users_notification_type CHECK ((((notification_type)::text = 'email'::text) OR (NOT share)))
);

CREATE TABLE res_users_log (
    id serial NOT NULL,
    create_uid integer,
    write_uid integer,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

CREATE TABLE res_users_apikeys (
    id serial NOT NULL,
    name character varying NOT NULL,
    user_id integer NOT NULL,
    scope character varying,
    index character varying(8),
    key character varying,
    create_date timestamp without time zone DEFAULT timezone('utc'::text, now()),
    CONSTRAINT res_users_apikeys_index_check CHECK ((char_length((index)::text) = 8))
);

CREATE TABLE auth_totp_device (
    id serial NOT NULL,
    name character varying NOT NULL,
    user_id integer NOT NULL,
    scope character varying,
    index character varying(8),
    key character varying,
    create_date timestamp without time zone DEFAULT timezone('utc'::text, now()),
    CONSTRAINT auth_totp_device_index_check CHECK ((char_length((index)::text) = 8))
);

CREATE TABLE auth_oauth_provider (
    id serial NOT NULL,
    sequence integer,
    create_uid integer,
    write_uid integer,
    name character varying NOT NULL,
    client_id character varying,
    auth_endpoint character varying NOT NULL,
    scope character varying,
    validation_endpoint character varying NOT NULL,
    data_endpoint character varying,
    css_class character varying,
    body jsonb NOT NULL,
    enabled boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

CREATE TABLE google_calendar_credentials (
    id serial NOT NULL,
    create_uid integer,
    write_uid integer,
    calendar_rtoken character varying,
    calendar_token character varying,
    calendar_sync_token character varying,
    calendar_cal_id character varying,
    synchronization_stopped boolean,
    calendar_token_validity timestamp without time zone,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

CREATE TABLE resource_resource (
    id serial NOT NULL,
    company_id integer,
    user_id integer,
    calendar_id integer NOT NULL,
    create_uid integer,
    write_uid integer,
    name character varying NOT NULL,
    resource_type character varying NOT NULL,
    tz character varying NOT NULL,
    active boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone,
    time_efficiency double precision NOT NULL,
    CONSTRAINT resource_resource_check_time_efficiency CHECK ((time_efficiency > (0)::double precision))
);

CREATE TABLE res_partner_bank (
    id serial NOT NULL,
    partner_id integer NOT NULL,
    bank_id integer,
    sequence integer,
    currency_id integer,
    company_id integer,
    create_uid integer,
    write_uid integer,
    acc_number character varying NOT NULL,
    sanitized_acc_number character varying,
    acc_holder_name character varying,
    active boolean,
    allow_out_payment boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone,
    message_main_attachment_id integer
);

CREATE TABLE hr_employee (
    id serial NOT NULL,
    resource_id integer NOT NULL,
    company_id integer NOT NULL,
    resource_calendar_id integer,
    message_main_attachment_id integer,
    color integer,
    department_id integer,
    job_id integer,
    address_id integer,
    work_contact_id integer,
    work_location_id integer,
    user_id integer,
    parent_id integer,
    coach_id integer,
    address_home_id integer,
    country_id integer,
    children integer,
    country_of_birth integer,
    bank_account_id integer,
    km_home_work integer,
    departure_reason_id integer,
    create_uid integer,
    write_uid integer,
    name character varying,
    job_title character varying,
    work_phone character varying,
    mobile_phone character varying,
    work_email character varying,
    employee_type character varying NOT NULL,
    gender character varying,
    marital character varying,
    spouse_complete_name character varying,
    place_of_birth character varying,
    ssnid character varying,
    sinid character varying,
    identification_id character varying,
    passport_id character varying,
    permit_no character varying,
    visa_no character varying,
    certificate character varying,
    study_field character varying,
    study_school character varying,
    emergency_contact character varying,
    emergency_phone character varying,
    barcode character varying,
    pin character varying,
    spouse_birthdate date,
    birthday date,
    visa_expire date,
    work_permit_expiration_date date,
    departure_date date,
    additional_note text,
    notes text,
    departure_description text,
    active boolean,
    work_permit_scheduled_activity boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

CREATE TABLE hr_applicant (
    id serial NOT NULL,
    campaign_id integer,
    source_id integer,
    medium_id integer,
    message_main_attachment_id integer,
    partner_id integer,
    stage_id integer,
    last_stage_id integer,
    company_id integer,
    user_id integer,
    job_id integer,
    type_id integer,
    department_id integer,
    color integer,
    emp_id integer,
    refuse_reason_id integer,
    create_uid integer,
    write_uid integer,
    email_cc character varying,
    name character varying NOT NULL,
    email_from character varying(128),
    priority character varying,
    salary_proposed_extra character varying,
    salary_expected_extra character varying,
    partner_name character varying,
    partner_phone character varying(32),
    partner_mobile character varying(32),
    kanban_state character varying NOT NULL,
    linkedin_profile character varying,
    availability date,
    description text,
    active boolean,
    create_date timestamp without time zone,
    date_closed timestamp without time zone,
    date_open timestamp without time zone,
    date_last_stage_update timestamp without time zone,
    write_date timestamp without time zone,
    probability double precision,
    salary_proposed double precision,
    salary_expected double precision,
    delay_close double precision
);

CREATE TABLE crm_team (
    id serial NOT NULL,
    message_main_attachment_id integer,
    sequence integer,
    company_id integer,
    user_id integer,
    color integer,
    create_uid integer,
    write_uid integer,
    name jsonb NOT NULL,
    active boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

-- crm is not installed in the reference dump: crm_stage and crm_lead follow the stored fields of
-- Odoo 16's addons/crm/models/crm_stage.py and crm_lead.py (with the mail.thread.cc,
-- mail.thread.blacklist, mail.thread.phone and utm.mixin columns the model inherits).
CREATE TABLE crm_stage (
    id serial NOT NULL,
    sequence integer,
    team_id integer,
    create_uid integer,
    write_uid integer,
    name jsonb NOT NULL,
    requirements text,
    is_won boolean,
    fold boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

CREATE TABLE crm_lead (
    id serial NOT NULL,
    campaign_id integer,
    source_id integer,
    medium_id integer,
    message_main_attachment_id integer,
    message_bounce integer,
    user_id integer,
    team_id integer,
    company_id integer,
    stage_id integer,
    color integer,
    recurring_plan integer,
    partner_id integer,
    title integer,
    lang_id integer,
    state_id integer,
    country_id integer,
    lost_reason_id integer,
    create_uid integer,
    write_uid integer,
    email_cc character varying,
    email_normalized character varying,
    phone_sanitized character varying,
    name character varying NOT NULL,
    referred character varying,
    type character varying NOT NULL,
    priority character varying,
    contact_name character varying,
    partner_name character varying,
    function character varying,
    email_from character varying,
    phone character varying,
    mobile character varying,
    phone_state character varying,
    email_state character varying,
    website character varying,
    street character varying,
    street2 character varying,
    zip character varying,
    city character varying,
    lead_properties jsonb,
    description text,
    active boolean,
    date_deadline date,
    date_closed timestamp without time zone,
    date_action_last timestamp without time zone,
    date_open timestamp without time zone,
    date_last_stage_update timestamp without time zone,
    date_conversion timestamp without time zone,
    create_date timestamp without time zone,
    write_date timestamp without time zone,
    expected_revenue numeric,
    prorated_revenue numeric,
    recurring_revenue numeric,
    recurring_revenue_monthly numeric,
    recurring_revenue_monthly_prorated numeric,
    day_open double precision,
    day_close double precision,
    probability double precision,
    automated_probability double precision,
    x_referrer_email character varying,
    CONSTRAINT crm_lead_check_probability CHECK (((probability >= (0)::double precision) AND (probability <= (100)::double precision)))
);

CREATE TABLE ir_model (
    id serial NOT NULL,
    create_uid integer,
    write_uid integer,
    model character varying NOT NULL,
    "order" character varying NOT NULL,
    state character varying,
    name jsonb NOT NULL,
    info text,
    transient boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone,
    is_mail_thread boolean,
    is_mail_activity boolean,
    is_mail_blacklist boolean,
    website_form_default_field_id integer,
    website_form_label character varying,
    website_form_key character varying,
    website_form_access boolean
);

CREATE TABLE ir_model_fields (
    id serial NOT NULL,
    relation_field_id integer,
    model_id integer NOT NULL,
    related_field_id integer,
    size integer,
    create_uid integer,
    write_uid integer,
    name character varying NOT NULL,
    complete_name character varying,
    model character varying NOT NULL,
    relation character varying,
    relation_field character varying,
    ttype character varying NOT NULL,
    related character varying,
    state character varying NOT NULL,
    on_delete character varying,
    domain character varying,
    relation_table character varying,
    column1 character varying,
    column2 character varying,
    depends character varying,
    field_description jsonb NOT NULL,
    help jsonb,
    compute text,
    copied boolean,
    required boolean,
    readonly boolean,
    index boolean,
    translate boolean,
    group_expand boolean,
    selectable boolean,
    store boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone,
    tracking integer,
    website_form_blacklisted boolean DEFAULT true,
    CONSTRAINT ir_model_fields_size_gt_zero CHECK ((size >= 0))
);

CREATE TABLE ir_model_data (
    id serial NOT NULL,
    create_uid integer,
    create_date timestamp without time zone DEFAULT timezone('UTC'::text, now()),
    write_date timestamp without time zone DEFAULT timezone('UTC'::text, now()),
    write_uid integer,
    res_id integer,
    noupdate boolean DEFAULT false,
    name character varying NOT NULL,
    module character varying NOT NULL,
    model character varying NOT NULL,
    CONSTRAINT ir_model_data_name_nospaces CHECK (((name)::text !~~ '% %'::text))
);

CREATE TABLE ir_module_module (
    id serial NOT NULL,
    create_uid integer,
    create_date timestamp without time zone,
    write_date timestamp without time zone,
    write_uid integer,
    website character varying,
    summary jsonb,
    name character varying NOT NULL,
    author character varying,
    icon character varying,
    state character varying(16),
    latest_version character varying,
    shortdesc jsonb,
    category_id integer,
    description jsonb,
    application boolean DEFAULT false,
    demo boolean DEFAULT false,
    web boolean DEFAULT false,
    license character varying(32),
    sequence integer DEFAULT 100,
    auto_install boolean DEFAULT false,
    to_buy boolean DEFAULT false,
    maintainer character varying,
    published_version character varying,
    url character varying,
    contributors text,
    menus_by_module text,
    reports_by_module text,
    views_by_module text
);

CREATE TABLE ir_config_parameter (
    id serial NOT NULL,
    create_uid integer,
    write_uid integer,
    key character varying NOT NULL,
    value text NOT NULL,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

CREATE TABLE ir_attachment (
    id serial NOT NULL,
    res_id integer,
    company_id integer,
    file_size integer,
    create_uid integer,
    write_uid integer,
    name character varying NOT NULL,
    res_model character varying,
    res_field character varying,
    type character varying NOT NULL,
    url character varying(1024),
    access_token character varying,
    store_fname character varying,
    checksum character varying(40),
    mimetype character varying,
    description text,
    index_content text,
    public boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone,
    db_datas bytea,
    original_id integer,
    website_id integer,
    theme_template_id integer,
    key character varying
);

CREATE TABLE ir_mail_server (
    id serial NOT NULL,
    smtp_port integer NOT NULL,
    sequence integer,
    create_uid integer,
    write_uid integer,
    name character varying NOT NULL,
    from_filter character varying,
    smtp_host character varying NOT NULL,
    smtp_authentication character varying NOT NULL,
    smtp_user character varying,
    smtp_pass character varying,
    smtp_encryption character varying NOT NULL,
    smtp_debug boolean,
    active boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone,
    smtp_ssl_certificate bytea,
    smtp_ssl_private_key bytea,
    google_gmail_access_token_expiration integer,
    google_gmail_authorization_code character varying,
    google_gmail_refresh_token character varying,
    google_gmail_access_token character varying
);

CREATE TABLE fetchmail_server (
    id serial NOT NULL,
    port integer,
    object_id integer,
    priority integer,
    create_uid integer,
    write_uid integer,
    name character varying NOT NULL,
    state character varying,
    server character varying,
    server_type character varying NOT NULL,
    "user" character varying,
    password character varying,
    script character varying,
    configuration text,
    active boolean,
    is_ssl boolean,
    attach boolean,
    original boolean,
    date timestamp without time zone,
    create_date timestamp without time zone,
    write_date timestamp without time zone,
    google_gmail_access_token_expiration integer,
    google_gmail_authorization_code character varying,
    google_gmail_refresh_token character varying,
    google_gmail_access_token character varying
);

CREATE TABLE mail_message_subtype (
    id serial NOT NULL,
    parent_id integer,
    sequence integer,
    create_uid integer,
    write_uid integer,
    relation_field character varying,
    res_model character varying,
    name jsonb NOT NULL,
    description jsonb,
    internal boolean,
    "default" boolean,
    hidden boolean,
    track_recipients boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

CREATE TABLE mail_template (
    id serial NOT NULL,
    model_id integer,
    report_template integer,
    mail_server_id integer,
    ref_ir_act_window integer,
    create_uid integer,
    write_uid integer,
    template_fs character varying,
    lang character varying,
    model character varying,
    email_from character varying,
    email_to character varying,
    partner_to character varying,
    email_cc character varying,
    reply_to character varying,
    scheduled_date character varying,
    name jsonb,
    description jsonb,
    subject jsonb,
    body_html jsonb,
    report_name jsonb,
    active boolean,
    use_default_to boolean,
    auto_delete boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

CREATE TABLE mail_message (
    id serial NOT NULL,
    parent_id integer,
    res_id integer,
    subtype_id integer,
    mail_activity_type_id integer,
    author_id integer,
    author_guest_id integer,
    mail_server_id integer,
    create_uid integer,
    write_uid integer,
    subject character varying,
    model character varying,
    record_name character varying,
    message_type character varying NOT NULL,
    email_from character varying,
    message_id character varying,
    reply_to character varying,
    email_layout_xmlid character varying,
    body text,
    is_internal boolean,
    reply_to_force_new boolean,
    email_add_signature boolean,
    date timestamp without time zone,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

CREATE TABLE mail_mail (
    id serial NOT NULL,
    mail_message_id integer NOT NULL,
    fetchmail_server_id integer,
    create_uid integer,
    write_uid integer,
    email_cc character varying,
    state character varying,
    failure_type character varying,
    body_html text,
    "references" text,
    headers text,
    email_to text,
    failure_reason text,
    is_notification boolean,
    auto_delete boolean,
    to_delete boolean,
    scheduled_date timestamp without time zone,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

CREATE TABLE mail_tracking_value (
    id serial NOT NULL,
    field integer NOT NULL,
    old_value_integer integer,
    new_value_integer integer,
    currency_id integer,
    mail_message_id integer NOT NULL,
    tracking_sequence integer,
    create_uid integer,
    write_uid integer,
    field_desc character varying NOT NULL,
    field_type character varying,
    old_value_char character varying,
    new_value_char character varying,
    old_value_text text,
    new_value_text text,
    old_value_datetime timestamp without time zone,
    new_value_datetime timestamp without time zone,
    create_date timestamp without time zone,
    write_date timestamp without time zone,
    old_value_float double precision,
    old_value_monetary double precision,
    new_value_float double precision,
    new_value_monetary double precision
);

CREATE TABLE mail_ice_server (
    id serial NOT NULL,
    create_uid integer,
    write_uid integer,
    server_type character varying NOT NULL,
    uri character varying NOT NULL,
    username character varying,
    credential character varying,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

CREATE TABLE ir_actions (
    id serial NOT NULL,
    binding_model_id integer,
    create_uid integer,
    write_uid integer,
    type character varying NOT NULL,
    binding_type character varying NOT NULL,
    binding_view_types character varying,
    name jsonb NOT NULL,
    help jsonb,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

CREATE TABLE ir_act_server (
    sequence integer,
    model_id integer NOT NULL,
    crud_model_id integer,
    link_field_id integer,
    usage character varying NOT NULL,
    state character varying NOT NULL,
    model_name character varying,
    code text,
    template_id integer,
    activity_type_id integer,
    activity_date_deadline_range integer,
    activity_user_id integer,
    mail_post_method character varying,
    activity_summary character varying,
    activity_date_deadline_range_type character varying,
    activity_user_type character varying,
    activity_user_field_name character varying,
    activity_note text,
    mail_post_autofollow boolean,
    website_path character varying,
    website_published boolean
) INHERITS (ir_actions);

CREATE TABLE ir_cron (
    id serial NOT NULL,
    ir_actions_server_id integer NOT NULL,
    user_id integer NOT NULL,
    interval_number integer,
    numbercall integer,
    priority integer,
    create_uid integer,
    write_uid integer,
    interval_type character varying,
    cron_name jsonb,
    active boolean,
    doall boolean,
    nextcall timestamp without time zone NOT NULL,
    lastcall timestamp without time zone,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

CREATE TABLE payment_provider (
    id serial NOT NULL,
    sequence integer,
    company_id integer NOT NULL,
    redirect_form_view_id integer,
    inline_form_view_id integer,
    token_inline_form_view_id integer,
    express_checkout_form_view_id integer,
    color integer,
    module_id integer,
    create_uid integer,
    write_uid integer,
    code character varying NOT NULL,
    state character varying NOT NULL,
    module_state character varying,
    name jsonb NOT NULL,
    display_as jsonb,
    pre_msg jsonb,
    pending_msg jsonb,
    auth_msg jsonb,
    done_msg jsonb,
    cancel_msg jsonb,
    maximum_amount numeric,
    is_published boolean,
    allow_tokenization boolean,
    capture_manually boolean,
    allow_express_checkout boolean,
    fees_active boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone,
    fees_dom_fixed double precision,
    fees_dom_var double precision,
    fees_int_fixed double precision,
    fees_int_var double precision,
    website_id integer,
    stripe_publishable_key character varying,
    stripe_secret_key character varying,
    stripe_webhook_secret character varying,
    paypal_email_account character varying,
    paypal_seller_account character varying,
    paypal_pdt_token character varying,
    paypal_use_ipn boolean
);

CREATE TABLE iap_account (
    id serial NOT NULL,
    create_uid integer,
    write_uid integer,
    service_name character varying,
    account_token character varying,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

CREATE TABLE website (
    id serial NOT NULL,
    sequence integer,
    company_id integer NOT NULL,
    default_lang_id integer NOT NULL,
    user_id integer NOT NULL,
    theme_id integer,
    create_uid integer,
    write_uid integer,
    name character varying NOT NULL,
    domain character varying,
    social_twitter character varying,
    social_facebook character varying,
    social_github character varying,
    social_linkedin character varying,
    social_youtube character varying,
    social_instagram character varying,
    google_analytics_key character varying,
    google_search_console character varying,
    google_maps_api_key character varying,
    plausible_shared_key character varying,
    plausible_site character varying,
    cdn_url character varying,
    homepage_url character varying,
    auth_signup_uninvited character varying,
    cdn_filters text,
    custom_code_head text,
    custom_code_footer text,
    robots_txt text,
    auto_redirect_lang boolean,
    cookies_bar boolean,
    configurator_done boolean,
    has_social_default_image boolean,
    cdn_activated boolean,
    specific_user_account boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone
);

-- delivery is not installed in the reference dump: stored fields of Odoo 16's
-- addons/delivery/models/delivery_carrier.py (carrier_description and shipping_insurance are
-- new in 16, zip_from/zip_to moved to zip_prefix_ids).
CREATE TABLE delivery_carrier (
    id serial NOT NULL,
    sequence integer,
    company_id integer,
    product_id integer NOT NULL,
    shipping_insurance integer,
    create_uid integer,
    write_uid integer,
    delivery_type character varying NOT NULL,
    integration_level character varying,
    invoice_policy character varying NOT NULL,
    name jsonb NOT NULL,
    carrier_description jsonb,
    active boolean,
    prod_environment boolean,
    debug_logging boolean,
    free_over boolean,
    return_label_on_delivery boolean,
    get_return_label_from_portal boolean,
    create_date timestamp without time zone,
    write_date timestamp without time zone,
    margin double precision,
    amount double precision,
    fixed_price double precision,
    CONSTRAINT delivery_carrier_margin_not_under_100_percent CHECK ((margin >= ('-100'::integer)::double precision)),
    CONSTRAINT delivery_carrier_shipping_insurance_is_percentage CHECK (((shipping_insurance >= 0) AND (shipping_insurance <= 100)))
);

-- odoosh:post-data

-- keys
ALTER TABLE res_lang ADD CONSTRAINT res_lang_pkey PRIMARY KEY (id);
ALTER TABLE res_lang ADD CONSTRAINT res_lang_code_uniq UNIQUE (code);
ALTER TABLE res_lang ADD CONSTRAINT res_lang_name_uniq UNIQUE (name);
ALTER TABLE res_lang ADD CONSTRAINT res_lang_url_code_uniq UNIQUE (url_code);
ALTER TABLE res_currency ADD CONSTRAINT res_currency_pkey PRIMARY KEY (id);
ALTER TABLE res_currency ADD CONSTRAINT res_currency_unique_name UNIQUE (name);
ALTER TABLE res_country ADD CONSTRAINT res_country_pkey PRIMARY KEY (id);
ALTER TABLE res_country ADD CONSTRAINT res_country_code_uniq UNIQUE (code);
ALTER TABLE res_country ADD CONSTRAINT res_country_name_uniq UNIQUE (name);
ALTER TABLE res_partner ADD CONSTRAINT res_partner_pkey PRIMARY KEY (id);
ALTER TABLE res_company ADD CONSTRAINT res_company_pkey PRIMARY KEY (id);
ALTER TABLE res_company ADD CONSTRAINT res_company_name_uniq UNIQUE (name);
ALTER TABLE resource_calendar ADD CONSTRAINT resource_calendar_pkey PRIMARY KEY (id);
ALTER TABLE res_users ADD CONSTRAINT res_users_pkey PRIMARY KEY (id);
ALTER TABLE res_users ADD CONSTRAINT res_users_google_token_uniq UNIQUE (google_calendar_account_id);
ALTER TABLE res_users ADD CONSTRAINT res_users_login_key UNIQUE (login, website_id);
ALTER TABLE res_users ADD CONSTRAINT res_users_uniq_users_oauth_provider_oauth_uid UNIQUE (oauth_provider_id, oauth_uid);
ALTER TABLE res_users_log ADD CONSTRAINT res_users_log_pkey PRIMARY KEY (id);
ALTER TABLE res_users_apikeys ADD CONSTRAINT res_users_apikeys_pkey PRIMARY KEY (id);
ALTER TABLE auth_totp_device ADD CONSTRAINT auth_totp_device_pkey PRIMARY KEY (id);
ALTER TABLE auth_oauth_provider ADD CONSTRAINT auth_oauth_provider_pkey PRIMARY KEY (id);
ALTER TABLE google_calendar_credentials ADD CONSTRAINT google_calendar_credentials_pkey PRIMARY KEY (id);
ALTER TABLE resource_resource ADD CONSTRAINT resource_resource_pkey PRIMARY KEY (id);
ALTER TABLE res_partner_bank ADD CONSTRAINT res_partner_bank_pkey PRIMARY KEY (id);
ALTER TABLE res_partner_bank ADD CONSTRAINT res_partner_bank_unique_number UNIQUE (sanitized_acc_number, partner_id);
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_pkey PRIMARY KEY (id);
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_barcode_uniq UNIQUE (barcode);
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_user_uniq UNIQUE (user_id, company_id);
ALTER TABLE hr_applicant ADD CONSTRAINT hr_applicant_pkey PRIMARY KEY (id);
ALTER TABLE crm_team ADD CONSTRAINT crm_team_pkey PRIMARY KEY (id);
ALTER TABLE ir_model ADD CONSTRAINT ir_model_pkey PRIMARY KEY (id);
ALTER TABLE ir_model ADD CONSTRAINT ir_model_obj_name_uniq UNIQUE (model);
ALTER TABLE ir_model_fields ADD CONSTRAINT ir_model_fields_pkey PRIMARY KEY (id);
ALTER TABLE ir_model_fields ADD CONSTRAINT ir_model_fields_name_unique UNIQUE (model, name);
ALTER TABLE ir_model_data ADD CONSTRAINT ir_model_data_pkey PRIMARY KEY (id);
ALTER TABLE ir_module_module ADD CONSTRAINT ir_module_module_pkey PRIMARY KEY (id);
ALTER TABLE ir_module_module ADD CONSTRAINT ir_module_module_name_uniq UNIQUE (name);
ALTER TABLE ir_config_parameter ADD CONSTRAINT ir_config_parameter_pkey PRIMARY KEY (id);
ALTER TABLE ir_config_parameter ADD CONSTRAINT ir_config_parameter_key_uniq UNIQUE (key);
ALTER TABLE ir_attachment ADD CONSTRAINT ir_attachment_pkey PRIMARY KEY (id);
ALTER TABLE ir_mail_server ADD CONSTRAINT ir_mail_server_pkey PRIMARY KEY (id);
ALTER TABLE fetchmail_server ADD CONSTRAINT fetchmail_server_pkey PRIMARY KEY (id);
ALTER TABLE mail_message_subtype ADD CONSTRAINT mail_message_subtype_pkey PRIMARY KEY (id);
ALTER TABLE mail_template ADD CONSTRAINT mail_template_pkey PRIMARY KEY (id);
ALTER TABLE mail_message ADD CONSTRAINT mail_message_pkey PRIMARY KEY (id);
ALTER TABLE mail_mail ADD CONSTRAINT mail_mail_pkey PRIMARY KEY (id);
ALTER TABLE mail_tracking_value ADD CONSTRAINT mail_tracking_value_pkey PRIMARY KEY (id);
ALTER TABLE mail_ice_server ADD CONSTRAINT mail_ice_server_pkey PRIMARY KEY (id);
ALTER TABLE ir_actions ADD CONSTRAINT ir_actions_pkey PRIMARY KEY (id);
ALTER TABLE ir_act_server ADD CONSTRAINT ir_act_server_pkey PRIMARY KEY (id);
ALTER TABLE ir_cron ADD CONSTRAINT ir_cron_pkey PRIMARY KEY (id);
ALTER TABLE payment_provider ADD CONSTRAINT payment_provider_pkey PRIMARY KEY (id);
ALTER TABLE iap_account ADD CONSTRAINT iap_account_pkey PRIMARY KEY (id);
ALTER TABLE website ADD CONSTRAINT website_pkey PRIMARY KEY (id);
ALTER TABLE website ADD CONSTRAINT website_domain_unique UNIQUE (domain);
ALTER TABLE crm_stage ADD CONSTRAINT crm_stage_pkey PRIMARY KEY (id);
ALTER TABLE crm_lead ADD CONSTRAINT crm_lead_pkey PRIMARY KEY (id);
ALTER TABLE delivery_carrier ADD CONSTRAINT delivery_carrier_pkey PRIMARY KEY (id);

-- indexes
CREATE INDEX res_partner_commercial_partner_id_index ON res_partner USING btree (commercial_partner_id);
CREATE INDEX res_partner_company_id_index ON res_partner USING btree (company_id);
CREATE INDEX res_partner_date_index ON res_partner USING btree (date);
CREATE INDEX res_partner_display_name_index ON res_partner USING btree (display_name);
CREATE INDEX res_partner_is_published_index ON res_partner USING btree (is_published);
CREATE INDEX res_partner_name_index ON res_partner USING btree (name);
CREATE INDEX res_partner_parent_id_index ON res_partner USING btree (parent_id);
CREATE INDEX res_partner_ref_index ON res_partner USING btree (ref);
CREATE INDEX res_partner_vat_index ON res_partner USING btree (vat);
CREATE INDEX res_partner_website_id_index ON res_partner USING btree (website_id);
CREATE INDEX res_company_parent_id_index ON res_company USING btree (parent_id);
CREATE INDEX res_users_create_date_index ON res_users USING btree (create_date);
CREATE INDEX res_users_partner_id_index ON res_users USING btree (partner_id);
CREATE INDEX res_users_apikeys_user_id_index_idx ON res_users_apikeys USING btree (user_id, index);
CREATE INDEX auth_totp_device_user_id_index_idx ON auth_totp_device USING btree (user_id, index);
CREATE INDEX res_partner_bank_partner_id_index ON res_partner_bank USING btree (partner_id);
CREATE INDEX hr_employee_company_id_index ON hr_employee USING btree (company_id);
CREATE INDEX hr_employee_resource_calendar_id_index ON hr_employee USING btree (resource_calendar_id);
CREATE INDEX hr_employee_resource_id_index ON hr_employee USING btree (resource_id);
CREATE INDEX hr_applicant_date_last_stage_update_index ON hr_applicant USING btree (date_last_stage_update);
CREATE INDEX hr_applicant_job_id_index ON hr_applicant USING btree (job_id);
CREATE INDEX hr_applicant_name_index ON hr_applicant USING gin (name gin_trgm_ops);
CREATE INDEX hr_applicant_stage_id_index ON hr_applicant USING btree (stage_id);
CREATE INDEX crm_team_company_id_index ON crm_team USING btree (company_id);
CREATE INDEX ir_model_fields_complete_name_index ON ir_model_fields USING btree (complete_name);
CREATE INDEX ir_model_fields_model_id_index ON ir_model_fields USING btree (model_id);
CREATE INDEX ir_model_fields_model_index ON ir_model_fields USING btree (model);
CREATE INDEX ir_model_fields_name_index ON ir_model_fields USING btree (name);
CREATE INDEX ir_model_fields_state_index ON ir_model_fields USING btree (state);
CREATE INDEX ir_model_fields_website_form_blacklisted_index ON ir_model_fields USING btree (website_form_blacklisted);
CREATE INDEX ir_model_data_model_res_id_index ON ir_model_data USING btree (model, res_id);
CREATE UNIQUE INDEX ir_model_data_module_name_uniq_index ON ir_model_data USING btree (module, name);
CREATE INDEX ir_module_module_category_id_index ON ir_module_module USING btree (category_id);
CREATE INDEX ir_module_module_state_index ON ir_module_module USING btree (state);
CREATE INDEX ir_attachment_checksum_index ON ir_attachment USING btree (checksum);
CREATE INDEX ir_attachment_res_idx ON ir_attachment USING btree (res_model, res_id);
CREATE INDEX ir_attachment_store_fname_index ON ir_attachment USING btree (store_fname);
CREATE INDEX ir_attachment_url_index ON ir_attachment USING btree (url) WHERE (url IS NOT NULL);
CREATE INDEX ir_mail_server_name_index ON ir_mail_server USING btree (name);
CREATE INDEX fetchmail_server_server_type_index ON fetchmail_server USING btree (server_type);
CREATE INDEX fetchmail_server_state_index ON fetchmail_server USING btree (state);
CREATE INDEX mail_template_model_index ON mail_template USING btree (model);
CREATE INDEX mail_message_author_id_index ON mail_message USING btree (author_id);
CREATE INDEX mail_message_mail_activity_type_id_index ON mail_message USING btree (mail_activity_type_id);
CREATE INDEX mail_message_message_id_index ON mail_message USING btree (message_id);
CREATE INDEX mail_message_model_res_id_id_idx ON mail_message USING btree (model, res_id, id);
CREATE INDEX mail_message_model_res_id_idx ON mail_message USING btree (model, res_id);
CREATE INDEX mail_message_parent_id_index ON mail_message USING btree (parent_id) WHERE (parent_id IS NOT NULL);
CREATE INDEX mail_message_subtype_id_index ON mail_message USING btree (subtype_id);
CREATE INDEX mail_mail_mail_message_id_index ON mail_mail USING btree (mail_message_id);
CREATE INDEX mail_mail_to_delete_idx ON mail_mail USING btree (id) WHERE (to_delete = true);
CREATE INDEX mail_tracking_value_field_index ON mail_tracking_value USING btree (field);
CREATE INDEX mail_tracking_value_mail_message_id_index ON mail_tracking_value USING btree (mail_message_id);
CREATE INDEX payment_provider_company_id_index ON payment_provider USING btree (company_id);
CREATE INDEX crm_lead_company_id_index ON crm_lead USING btree (company_id);
CREATE INDEX crm_lead_date_last_stage_update_index ON crm_lead USING btree (date_last_stage_update);
CREATE INDEX crm_lead_email_from_index ON crm_lead USING gin (email_from gin_trgm_ops);
CREATE INDEX crm_lead_lost_reason_id_index ON crm_lead USING btree (lost_reason_id);
CREATE INDEX crm_lead_name_index ON crm_lead USING gin (name gin_trgm_ops);
CREATE INDEX crm_lead_partner_id_index ON crm_lead USING btree (partner_id);
CREATE INDEX crm_lead_priority_index ON crm_lead USING btree (priority);
CREATE INDEX crm_lead_stage_id_index ON crm_lead USING btree (stage_id);
CREATE INDEX crm_lead_team_id_index ON crm_lead USING btree (team_id);
CREATE INDEX crm_lead_type_index ON crm_lead USING btree (type);
CREATE INDEX crm_lead_user_id_index ON crm_lead USING btree (user_id);

-- foreign keys
ALTER TABLE res_lang ADD CONSTRAINT res_lang_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_lang ADD CONSTRAINT res_lang_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_currency ADD CONSTRAINT res_currency_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_currency ADD CONSTRAINT res_currency_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_country ADD CONSTRAINT res_country_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_country ADD CONSTRAINT res_country_currency_id_fkey FOREIGN KEY (currency_id) REFERENCES res_currency(id) ON DELETE SET NULL;
ALTER TABLE res_country ADD CONSTRAINT res_country_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_partner ADD CONSTRAINT res_partner_commercial_partner_id_fkey FOREIGN KEY (commercial_partner_id) REFERENCES res_partner(id) ON DELETE SET NULL;
ALTER TABLE res_partner ADD CONSTRAINT res_partner_company_id_fkey FOREIGN KEY (company_id) REFERENCES res_company(id) ON DELETE SET NULL;
ALTER TABLE res_partner ADD CONSTRAINT res_partner_country_id_fkey FOREIGN KEY (country_id) REFERENCES res_country(id) ON DELETE RESTRICT;
ALTER TABLE res_partner ADD CONSTRAINT res_partner_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_partner ADD CONSTRAINT res_partner_message_main_attachment_id_fkey FOREIGN KEY (message_main_attachment_id) REFERENCES ir_attachment(id) ON DELETE SET NULL;
ALTER TABLE res_partner ADD CONSTRAINT res_partner_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES res_partner(id) ON DELETE SET NULL;
ALTER TABLE res_partner ADD CONSTRAINT res_partner_team_id_fkey FOREIGN KEY (team_id) REFERENCES crm_team(id) ON DELETE SET NULL;
ALTER TABLE res_partner ADD CONSTRAINT res_partner_user_id_fkey FOREIGN KEY (user_id) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_partner ADD CONSTRAINT res_partner_website_id_fkey FOREIGN KEY (website_id) REFERENCES website(id) ON DELETE RESTRICT;
ALTER TABLE res_partner ADD CONSTRAINT res_partner_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_company ADD CONSTRAINT res_company_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_company ADD CONSTRAINT res_company_currency_id_fkey FOREIGN KEY (currency_id) REFERENCES res_currency(id) ON DELETE RESTRICT;
ALTER TABLE res_company ADD CONSTRAINT res_company_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES res_company(id) ON DELETE SET NULL;
ALTER TABLE res_company ADD CONSTRAINT res_company_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES res_partner(id) ON DELETE RESTRICT;
ALTER TABLE res_company ADD CONSTRAINT res_company_resource_calendar_id_fkey FOREIGN KEY (resource_calendar_id) REFERENCES resource_calendar(id) ON DELETE RESTRICT;
ALTER TABLE res_company ADD CONSTRAINT res_company_website_id_fkey FOREIGN KEY (website_id) REFERENCES website(id) ON DELETE SET NULL;
ALTER TABLE res_company ADD CONSTRAINT res_company_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE resource_calendar ADD CONSTRAINT resource_calendar_company_id_fkey FOREIGN KEY (company_id) REFERENCES res_company(id) ON DELETE SET NULL;
ALTER TABLE resource_calendar ADD CONSTRAINT resource_calendar_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE resource_calendar ADD CONSTRAINT resource_calendar_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_users ADD CONSTRAINT res_users_company_id_fkey FOREIGN KEY (company_id) REFERENCES res_company(id) ON DELETE RESTRICT;
ALTER TABLE res_users ADD CONSTRAINT res_users_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_users ADD CONSTRAINT res_users_google_calendar_account_id_fkey FOREIGN KEY (google_calendar_account_id) REFERENCES google_calendar_credentials(id) ON DELETE SET NULL;
ALTER TABLE res_users ADD CONSTRAINT res_users_oauth_provider_id_fkey FOREIGN KEY (oauth_provider_id) REFERENCES auth_oauth_provider(id) ON DELETE SET NULL;
ALTER TABLE res_users ADD CONSTRAINT res_users_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES res_partner(id) ON DELETE RESTRICT;
ALTER TABLE res_users ADD CONSTRAINT res_users_sale_team_id_fkey FOREIGN KEY (sale_team_id) REFERENCES crm_team(id) ON DELETE SET NULL;
ALTER TABLE res_users ADD CONSTRAINT res_users_website_id_fkey FOREIGN KEY (website_id) REFERENCES website(id) ON DELETE SET NULL;
ALTER TABLE res_users ADD CONSTRAINT res_users_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_users_log ADD CONSTRAINT res_users_log_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_users_log ADD CONSTRAINT res_users_log_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_users_apikeys ADD CONSTRAINT res_users_apikeys_user_id_fkey FOREIGN KEY (user_id) REFERENCES res_users(id);
ALTER TABLE auth_totp_device ADD CONSTRAINT auth_totp_device_user_id_fkey FOREIGN KEY (user_id) REFERENCES res_users(id);
ALTER TABLE auth_oauth_provider ADD CONSTRAINT auth_oauth_provider_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE auth_oauth_provider ADD CONSTRAINT auth_oauth_provider_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE google_calendar_credentials ADD CONSTRAINT google_calendar_credentials_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE google_calendar_credentials ADD CONSTRAINT google_calendar_credentials_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE resource_resource ADD CONSTRAINT resource_resource_calendar_id_fkey FOREIGN KEY (calendar_id) REFERENCES resource_calendar(id) ON DELETE RESTRICT;
ALTER TABLE resource_resource ADD CONSTRAINT resource_resource_company_id_fkey FOREIGN KEY (company_id) REFERENCES res_company(id) ON DELETE SET NULL;
ALTER TABLE resource_resource ADD CONSTRAINT resource_resource_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE resource_resource ADD CONSTRAINT resource_resource_user_id_fkey FOREIGN KEY (user_id) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE resource_resource ADD CONSTRAINT resource_resource_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_partner_bank ADD CONSTRAINT res_partner_bank_company_id_fkey FOREIGN KEY (company_id) REFERENCES res_company(id) ON DELETE SET NULL;
ALTER TABLE res_partner_bank ADD CONSTRAINT res_partner_bank_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE res_partner_bank ADD CONSTRAINT res_partner_bank_currency_id_fkey FOREIGN KEY (currency_id) REFERENCES res_currency(id) ON DELETE SET NULL;
ALTER TABLE res_partner_bank ADD CONSTRAINT res_partner_bank_message_main_attachment_id_fkey FOREIGN KEY (message_main_attachment_id) REFERENCES ir_attachment(id) ON DELETE SET NULL;
ALTER TABLE res_partner_bank ADD CONSTRAINT res_partner_bank_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES res_partner(id) ON DELETE CASCADE;
ALTER TABLE res_partner_bank ADD CONSTRAINT res_partner_bank_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_address_home_id_fkey FOREIGN KEY (address_home_id) REFERENCES res_partner(id) ON DELETE SET NULL;
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_address_id_fkey FOREIGN KEY (address_id) REFERENCES res_partner(id) ON DELETE SET NULL;
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_bank_account_id_fkey FOREIGN KEY (bank_account_id) REFERENCES res_partner_bank(id) ON DELETE SET NULL;
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_coach_id_fkey FOREIGN KEY (coach_id) REFERENCES hr_employee(id) ON DELETE SET NULL;
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_company_id_fkey FOREIGN KEY (company_id) REFERENCES res_company(id) ON DELETE SET NULL;
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_country_id_fkey FOREIGN KEY (country_id) REFERENCES res_country(id) ON DELETE SET NULL;
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_country_of_birth_fkey FOREIGN KEY (country_of_birth) REFERENCES res_country(id) ON DELETE SET NULL;
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_message_main_attachment_id_fkey FOREIGN KEY (message_main_attachment_id) REFERENCES ir_attachment(id) ON DELETE SET NULL;
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES hr_employee(id) ON DELETE SET NULL;
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_resource_calendar_id_fkey FOREIGN KEY (resource_calendar_id) REFERENCES resource_calendar(id) ON DELETE SET NULL;
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_resource_id_fkey FOREIGN KEY (resource_id) REFERENCES resource_resource(id) ON DELETE RESTRICT;
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_user_id_fkey FOREIGN KEY (user_id) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_work_contact_id_fkey FOREIGN KEY (work_contact_id) REFERENCES res_partner(id) ON DELETE SET NULL;
ALTER TABLE hr_employee ADD CONSTRAINT hr_employee_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE hr_applicant ADD CONSTRAINT hr_applicant_company_id_fkey FOREIGN KEY (company_id) REFERENCES res_company(id) ON DELETE SET NULL;
ALTER TABLE hr_applicant ADD CONSTRAINT hr_applicant_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE hr_applicant ADD CONSTRAINT hr_applicant_emp_id_fkey FOREIGN KEY (emp_id) REFERENCES hr_employee(id) ON DELETE SET NULL;
ALTER TABLE hr_applicant ADD CONSTRAINT hr_applicant_message_main_attachment_id_fkey FOREIGN KEY (message_main_attachment_id) REFERENCES ir_attachment(id) ON DELETE SET NULL;
ALTER TABLE hr_applicant ADD CONSTRAINT hr_applicant_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES res_partner(id) ON DELETE SET NULL;
ALTER TABLE hr_applicant ADD CONSTRAINT hr_applicant_user_id_fkey FOREIGN KEY (user_id) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE hr_applicant ADD CONSTRAINT hr_applicant_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE crm_team ADD CONSTRAINT crm_team_company_id_fkey FOREIGN KEY (company_id) REFERENCES res_company(id) ON DELETE SET NULL;
ALTER TABLE crm_team ADD CONSTRAINT crm_team_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE crm_team ADD CONSTRAINT crm_team_message_main_attachment_id_fkey FOREIGN KEY (message_main_attachment_id) REFERENCES ir_attachment(id) ON DELETE SET NULL;
ALTER TABLE crm_team ADD CONSTRAINT crm_team_user_id_fkey FOREIGN KEY (user_id) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE crm_team ADD CONSTRAINT crm_team_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_model ADD CONSTRAINT ir_model_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_model ADD CONSTRAINT ir_model_website_form_default_field_id_fkey FOREIGN KEY (website_form_default_field_id) REFERENCES ir_model_fields(id) ON DELETE SET NULL;
ALTER TABLE ir_model ADD CONSTRAINT ir_model_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_model_fields ADD CONSTRAINT ir_model_fields_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_model_fields ADD CONSTRAINT ir_model_fields_model_id_fkey FOREIGN KEY (model_id) REFERENCES ir_model(id) ON DELETE CASCADE;
ALTER TABLE ir_model_fields ADD CONSTRAINT ir_model_fields_related_field_id_fkey FOREIGN KEY (related_field_id) REFERENCES ir_model_fields(id) ON DELETE CASCADE;
ALTER TABLE ir_model_fields ADD CONSTRAINT ir_model_fields_relation_field_id_fkey FOREIGN KEY (relation_field_id) REFERENCES ir_model_fields(id) ON DELETE CASCADE;
ALTER TABLE ir_model_fields ADD CONSTRAINT ir_model_fields_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_model_data ADD CONSTRAINT ir_model_data_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_model_data ADD CONSTRAINT ir_model_data_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_module_module ADD CONSTRAINT ir_module_module_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_module_module ADD CONSTRAINT ir_module_module_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_config_parameter ADD CONSTRAINT ir_config_parameter_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_config_parameter ADD CONSTRAINT ir_config_parameter_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_attachment ADD CONSTRAINT ir_attachment_company_id_fkey FOREIGN KEY (company_id) REFERENCES res_company(id) ON DELETE SET NULL;
ALTER TABLE ir_attachment ADD CONSTRAINT ir_attachment_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_attachment ADD CONSTRAINT ir_attachment_original_id_fkey FOREIGN KEY (original_id) REFERENCES ir_attachment(id) ON DELETE SET NULL;
ALTER TABLE ir_attachment ADD CONSTRAINT ir_attachment_website_id_fkey FOREIGN KEY (website_id) REFERENCES website(id) ON DELETE SET NULL;
ALTER TABLE ir_attachment ADD CONSTRAINT ir_attachment_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_mail_server ADD CONSTRAINT ir_mail_server_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_mail_server ADD CONSTRAINT ir_mail_server_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE fetchmail_server ADD CONSTRAINT fetchmail_server_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE fetchmail_server ADD CONSTRAINT fetchmail_server_object_id_fkey FOREIGN KEY (object_id) REFERENCES ir_model(id) ON DELETE SET NULL;
ALTER TABLE fetchmail_server ADD CONSTRAINT fetchmail_server_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE mail_message_subtype ADD CONSTRAINT mail_message_subtype_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE mail_message_subtype ADD CONSTRAINT mail_message_subtype_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES mail_message_subtype(id) ON DELETE SET NULL;
ALTER TABLE mail_message_subtype ADD CONSTRAINT mail_message_subtype_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE mail_template ADD CONSTRAINT mail_template_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE mail_template ADD CONSTRAINT mail_template_mail_server_id_fkey FOREIGN KEY (mail_server_id) REFERENCES ir_mail_server(id) ON DELETE SET NULL;
ALTER TABLE mail_template ADD CONSTRAINT mail_template_model_id_fkey FOREIGN KEY (model_id) REFERENCES ir_model(id) ON DELETE SET NULL;
ALTER TABLE mail_template ADD CONSTRAINT mail_template_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE mail_message ADD CONSTRAINT mail_message_author_id_fkey FOREIGN KEY (author_id) REFERENCES res_partner(id) ON DELETE SET NULL;
ALTER TABLE mail_message ADD CONSTRAINT mail_message_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE mail_message ADD CONSTRAINT mail_message_mail_server_id_fkey FOREIGN KEY (mail_server_id) REFERENCES ir_mail_server(id) ON DELETE SET NULL;
ALTER TABLE mail_message ADD CONSTRAINT mail_message_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES mail_message(id) ON DELETE SET NULL;
ALTER TABLE mail_message ADD CONSTRAINT mail_message_subtype_id_fkey FOREIGN KEY (subtype_id) REFERENCES mail_message_subtype(id) ON DELETE SET NULL;
ALTER TABLE mail_message ADD CONSTRAINT mail_message_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE mail_mail ADD CONSTRAINT mail_mail_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE mail_mail ADD CONSTRAINT mail_mail_fetchmail_server_id_fkey FOREIGN KEY (fetchmail_server_id) REFERENCES fetchmail_server(id) ON DELETE SET NULL;
ALTER TABLE mail_mail ADD CONSTRAINT mail_mail_mail_message_id_fkey FOREIGN KEY (mail_message_id) REFERENCES mail_message(id) ON DELETE CASCADE;
ALTER TABLE mail_mail ADD CONSTRAINT mail_mail_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE mail_tracking_value ADD CONSTRAINT mail_tracking_value_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE mail_tracking_value ADD CONSTRAINT mail_tracking_value_currency_id_fkey FOREIGN KEY (currency_id) REFERENCES res_currency(id) ON DELETE SET NULL;
ALTER TABLE mail_tracking_value ADD CONSTRAINT mail_tracking_value_field_fkey FOREIGN KEY (field) REFERENCES ir_model_fields(id) ON DELETE CASCADE;
ALTER TABLE mail_tracking_value ADD CONSTRAINT mail_tracking_value_mail_message_id_fkey FOREIGN KEY (mail_message_id) REFERENCES mail_message(id) ON DELETE CASCADE;
ALTER TABLE mail_tracking_value ADD CONSTRAINT mail_tracking_value_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE mail_ice_server ADD CONSTRAINT mail_ice_server_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE mail_ice_server ADD CONSTRAINT mail_ice_server_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_actions ADD CONSTRAINT ir_actions_binding_model_id_fkey FOREIGN KEY (binding_model_id) REFERENCES ir_model(id) ON DELETE CASCADE;
ALTER TABLE ir_actions ADD CONSTRAINT ir_actions_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_actions ADD CONSTRAINT ir_actions_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_act_server ADD CONSTRAINT ir_act_server_activity_user_id_fkey FOREIGN KEY (activity_user_id) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_act_server ADD CONSTRAINT ir_act_server_binding_model_id_fkey FOREIGN KEY (binding_model_id) REFERENCES ir_model(id) ON DELETE CASCADE;
ALTER TABLE ir_act_server ADD CONSTRAINT ir_act_server_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_act_server ADD CONSTRAINT ir_act_server_crud_model_id_fkey FOREIGN KEY (crud_model_id) REFERENCES ir_model(id) ON DELETE SET NULL;
ALTER TABLE ir_act_server ADD CONSTRAINT ir_act_server_link_field_id_fkey FOREIGN KEY (link_field_id) REFERENCES ir_model_fields(id) ON DELETE SET NULL;
ALTER TABLE ir_act_server ADD CONSTRAINT ir_act_server_model_id_fkey FOREIGN KEY (model_id) REFERENCES ir_model(id) ON DELETE CASCADE;
ALTER TABLE ir_act_server ADD CONSTRAINT ir_act_server_template_id_fkey FOREIGN KEY (template_id) REFERENCES mail_template(id) ON DELETE SET NULL;
ALTER TABLE ir_act_server ADD CONSTRAINT ir_act_server_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_cron ADD CONSTRAINT ir_cron_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE ir_cron ADD CONSTRAINT ir_cron_ir_actions_server_id_fkey FOREIGN KEY (ir_actions_server_id) REFERENCES ir_act_server(id) ON DELETE RESTRICT;
ALTER TABLE ir_cron ADD CONSTRAINT ir_cron_user_id_fkey FOREIGN KEY (user_id) REFERENCES res_users(id) ON DELETE RESTRICT;
ALTER TABLE ir_cron ADD CONSTRAINT ir_cron_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE payment_provider ADD CONSTRAINT payment_provider_company_id_fkey FOREIGN KEY (company_id) REFERENCES res_company(id) ON DELETE RESTRICT;
ALTER TABLE payment_provider ADD CONSTRAINT payment_provider_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE payment_provider ADD CONSTRAINT payment_provider_module_id_fkey FOREIGN KEY (module_id) REFERENCES ir_module_module(id) ON DELETE SET NULL;
ALTER TABLE payment_provider ADD CONSTRAINT payment_provider_website_id_fkey FOREIGN KEY (website_id) REFERENCES website(id) ON DELETE RESTRICT;
ALTER TABLE payment_provider ADD CONSTRAINT payment_provider_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE iap_account ADD CONSTRAINT iap_account_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE iap_account ADD CONSTRAINT iap_account_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE website ADD CONSTRAINT website_company_id_fkey FOREIGN KEY (company_id) REFERENCES res_company(id) ON DELETE RESTRICT;
ALTER TABLE website ADD CONSTRAINT website_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE website ADD CONSTRAINT website_default_lang_id_fkey FOREIGN KEY (default_lang_id) REFERENCES res_lang(id) ON DELETE RESTRICT;
ALTER TABLE website ADD CONSTRAINT website_theme_id_fkey FOREIGN KEY (theme_id) REFERENCES ir_module_module(id) ON DELETE SET NULL;
ALTER TABLE website ADD CONSTRAINT website_user_id_fkey FOREIGN KEY (user_id) REFERENCES res_users(id) ON DELETE RESTRICT;
ALTER TABLE website ADD CONSTRAINT website_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE crm_stage ADD CONSTRAINT crm_stage_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE crm_stage ADD CONSTRAINT crm_stage_team_id_fkey FOREIGN KEY (team_id) REFERENCES crm_team(id) ON DELETE SET NULL;
ALTER TABLE crm_stage ADD CONSTRAINT crm_stage_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE crm_lead ADD CONSTRAINT crm_lead_company_id_fkey FOREIGN KEY (company_id) REFERENCES res_company(id) ON DELETE SET NULL;
ALTER TABLE crm_lead ADD CONSTRAINT crm_lead_country_id_fkey FOREIGN KEY (country_id) REFERENCES res_country(id) ON DELETE SET NULL;
ALTER TABLE crm_lead ADD CONSTRAINT crm_lead_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE crm_lead ADD CONSTRAINT crm_lead_lang_id_fkey FOREIGN KEY (lang_id) REFERENCES res_lang(id) ON DELETE SET NULL;
ALTER TABLE crm_lead ADD CONSTRAINT crm_lead_message_main_attachment_id_fkey FOREIGN KEY (message_main_attachment_id) REFERENCES ir_attachment(id) ON DELETE SET NULL;
ALTER TABLE crm_lead ADD CONSTRAINT crm_lead_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES res_partner(id) ON DELETE SET NULL;
ALTER TABLE crm_lead ADD CONSTRAINT crm_lead_stage_id_fkey FOREIGN KEY (stage_id) REFERENCES crm_stage(id) ON DELETE RESTRICT;
ALTER TABLE crm_lead ADD CONSTRAINT crm_lead_team_id_fkey FOREIGN KEY (team_id) REFERENCES crm_team(id) ON DELETE SET NULL;
ALTER TABLE crm_lead ADD CONSTRAINT crm_lead_user_id_fkey FOREIGN KEY (user_id) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE crm_lead ADD CONSTRAINT crm_lead_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE delivery_carrier ADD CONSTRAINT delivery_carrier_company_id_fkey FOREIGN KEY (company_id) REFERENCES res_company(id) ON DELETE SET NULL;
ALTER TABLE delivery_carrier ADD CONSTRAINT delivery_carrier_create_uid_fkey FOREIGN KEY (create_uid) REFERENCES res_users(id) ON DELETE SET NULL;
ALTER TABLE delivery_carrier ADD CONSTRAINT delivery_carrier_write_uid_fkey FOREIGN KEY (write_uid) REFERENCES res_users(id) ON DELETE SET NULL;
