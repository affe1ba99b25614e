"""Odoo 16 tables (base module) for the tests that need only a few, with primary keys added.

Copied from tests/data/odoo-schemas/odoo16-maaranodoo-mmdb007-base.sql.
"""

RES_COMPANY = """
CREATE TABLE res_company (
    id integer NOT NULL PRIMARY KEY, name character varying NOT NULL, partner_id integer NOT NULL,
    currency_id integer NOT NULL, sequence integer, create_date timestamp without time zone,
    parent_id integer, paperformat_id integer, external_report_layout_id integer, create_uid integer,
    write_uid integer, email character varying, phone character varying, mobile character varying,
    base_onboarding_company_state character varying, font character varying,
    primary_color character varying, secondary_color character varying,
    layout_background character varying NOT NULL, report_footer jsonb, report_header text,
    company_details text, active boolean, write_date timestamp without time zone, logo_web bytea
)
"""

PROBED_TABLES = (
    RES_COMPANY
    + """;
CREATE TABLE res_users (
    id integer NOT NULL PRIMARY KEY, company_id integer NOT NULL, partner_id integer NOT NULL,
    active boolean DEFAULT true, create_date timestamp without time zone,
    login character varying NOT NULL, password character varying, action_id integer,
    create_uid integer, write_uid integer, signature text, share boolean,
    write_date timestamp without time zone, totp_secret character varying
);
CREATE TABLE ir_module_module (
    id integer NOT NULL PRIMARY KEY, create_uid integer, create_date timestamp without time zone,
    write_date timestamp without time zone, write_uid integer, website character varying,
    summary jsonb, name character varying NOT NULL, author character varying, icon character varying,
    state character varying(16), latest_version character varying, shortdesc jsonb,
    category_id integer, description jsonb, application boolean DEFAULT false,
    demo boolean DEFAULT false, web boolean DEFAULT false, license character varying(32),
    sequence integer DEFAULT 100, auto_install boolean DEFAULT false, to_buy boolean DEFAULT false,
    maintainer character varying, published_version character varying, url character varying,
    contributors text, menus_by_module text, reports_by_module text, views_by_module text
);
INSERT INTO res_company (id, name, partner_id, currency_id, layout_background)
    VALUES (1, 'ACME', 1, 1, 'Blank');
INSERT INTO res_users (id, company_id, partner_id, login, share) VALUES (2, 1, 3, 'admin', false);
INSERT INTO ir_module_module (id, name, state) VALUES
    (1, 'base', 'installed'), (2, 'web', 'installed'), (3, 'sale', 'installed'), (4, 'crm', 'uninstalled');
"""
)
