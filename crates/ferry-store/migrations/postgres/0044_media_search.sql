-- Media search (issue #16): the fields of `blob_media.media` (JSON) that `GET /search` filters
-- on, as columns, so that a search compares columns instead of parsing JSON per row. The
-- worker's `put_media` writes them with the JSON; rows read before this migration are filled
-- here, from their JSON, by the same rules as `ferry_store::renditions::MediaKeys`:
--   taken_at      the EXIF time as `YYYY-MM-DDTHH:MM:SS` (the camera's clock, no zone; text
--                 so that it sorts), only for `YYYY:MM:DD HH:MM:SS` with a month 01-12, a day
--                 01-31 and a year other than 0000 (cameras write 0000:00:00 when unset);
--   camera        make and model joined by a space, lowercased (a substring of either, or of
--                 "make model", is found);
--   artist/album  lowercased;
--   has_location  1 when a GPS position was read.
ALTER TABLE blob_media ADD COLUMN width BIGINT;
ALTER TABLE blob_media ADD COLUMN height BIGINT;
ALTER TABLE blob_media ADD COLUMN taken_at TEXT;
ALTER TABLE blob_media ADD COLUMN camera TEXT;
ALTER TABLE blob_media ADD COLUMN has_location BIGINT NOT NULL DEFAULT 0;
ALTER TABLE blob_media ADD COLUMN artist TEXT;
ALTER TABLE blob_media ADD COLUMN album TEXT;
ALTER TABLE blob_media ADD COLUMN duration_ms BIGINT;

UPDATE blob_media b SET
    width = (j.doc ->> 'width')::BIGINT,
    height = (j.doc ->> 'height')::BIGINT,
    taken_at = j.doc ->> 'taken_at',
    camera = NULLIF(trim(lower(coalesce(j.doc ->> 'camera_make', '') || ' '
             || coalesce(j.doc ->> 'camera_model', ''))), ''),
    has_location = CASE WHEN jsonb_typeof(j.doc -> 'gps') IS NULL
                         OR jsonb_typeof(j.doc -> 'gps') = 'null' THEN 0 ELSE 1 END,
    artist = lower(j.doc ->> 'artist'),
    album = lower(j.doc ->> 'album'),
    duration_ms = (j.doc ->> 'duration_ms')::BIGINT
FROM (SELECT sha256, media::jsonb AS doc FROM blob_media) j
WHERE j.sha256 = b.sha256;

-- The EXIF time as read, made sortable (or dropped) in place.
UPDATE blob_media SET taken_at = CASE
    WHEN taken_at ~ '^[0-9]{4}:[0-9]{2}:[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}'
         AND substr(taken_at, 1, 4) <> '0000'
         AND substr(taken_at, 6, 2) BETWEEN '01' AND '12'
         AND substr(taken_at, 9, 2) BETWEEN '01' AND '31'
    THEN substr(taken_at, 1, 4) || '-' || substr(taken_at, 6, 2) || '-' || substr(taken_at, 9, 2)
         || 'T' || substr(taken_at, 12, 8)
    END
WHERE taken_at IS NOT NULL;
