-- Profile pictures and company logos (issue #13). An image is kept re-encoded (pixels only:
-- no EXIF, no GPS) in its variants: 'original' (bounded, longest side at most 512 px for a
-- user's picture and for a logo) and, for a user's picture, the square sizes '32', '64',
-- '128' and '256' rendered at upload. They are small and bounded, so they live in the
-- database next to their owner: they change with it in one transaction (with the audit
-- event), go with it, and are in every backup, on one node or many.
-- owner_id is the user (usr_…) or the company (cmp_…) the image belongs to.
CREATE TABLE pictures (
    owner_id TEXT NOT NULL,
    variant TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (owner_id, variant)
);
-- Which picture (or logo) is current: a short hash of its original, null when there is
-- none. It is the ETag and the cache-busting ?v= of the picture's URL.
ALTER TABLE users ADD COLUMN picture_version TEXT;
ALTER TABLE companies ADD COLUMN logo_version TEXT;
