-- Companies (tenants, issue #13): a user belongs to at most one. A company's quota bounds the
-- sum of its users' use; `used_bytes` is that sum, kept by the same conditional updates that
-- charge a user's quota (ferry_store::users::reserve_quota), so concurrent uploads can never
-- pass it. `quota_bytes` null: no company limit.
CREATE TABLE companies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- The lowercase NFC name: company names are unique without regard to case.
    name_key TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    quota_bytes BIGINT,
    used_bytes BIGINT NOT NULL DEFAULT 0,
    default_user_quota_bytes BIGINT,
    display_name TEXT NOT NULL,
    logo_url TEXT,
    accent_color TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX companies_name ON companies (name_key);

ALTER TABLE users ADD COLUMN company_id TEXT REFERENCES companies (id);
CREATE INDEX users_company ON users (company_id);
-- A group made by a company admin belongs to that company (null: a system group).
ALTER TABLE groups ADD COLUMN company_id TEXT REFERENCES companies (id);

-- Policies on a company, a group or a user; the most restrictive of those that apply wins.
-- A null column says nothing (allowed); flags are 0/1.
CREATE TABLE policies (
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    can_download BIGINT,
    can_upload BIGINT,
    can_share_links BIGINT,
    force_watermark BIGINT,
    max_link_expires_in_secs BIGINT,
    -- A JSON array of CIDR ranges; null: any address.
    allowed_ip_ranges TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (target_kind, target_id)
);
