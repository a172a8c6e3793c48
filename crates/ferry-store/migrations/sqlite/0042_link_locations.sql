-- Media metadata for link recipients (issue #16): a download or folder link shows the media
-- metadata of its files (dimensions, time, camera, audio tags), but a GPS position only when
-- its creator allowed it (`show_location`, 0 or 1). Existing links keep hiding it.
ALTER TABLE links ADD COLUMN show_location INTEGER NOT NULL DEFAULT 0;
ALTER TABLE folder_links ADD COLUMN show_location INTEGER NOT NULL DEFAULT 0;
