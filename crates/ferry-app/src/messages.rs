//! Error messages in the caller's language. Codes never change; the `message` a person reads
//! is chosen by `Accept-Language` from this catalogue: English (the messages in
//! [`crate::Error`]) and German. A code without a German message keeps its English one, and
//! the response's `Content-Language` says which it got.

/// A language error messages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    German,
}

impl Language {
    /// The tag sent back in `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::German => "de",
        }
    }

    fn of_range(range: &str) -> Option<Language> {
        let primary = range.split('-').next().unwrap_or("");
        if primary.eq_ignore_ascii_case("de") {
            Some(Language::German)
        } else if primary.eq_ignore_ascii_case("en") || primary == "*" {
            Some(Language::English)
        } else {
            None
        }
    }

    /// The language an `Accept-Language` header (RFC 9110 §12.5.4) prefers among those
    /// Ferry has: the highest `q` wins, the earlier range on a tie; English when none fits.
    /// Malformed ranges are skipped, never an error.
    pub fn from_accept_language(header: &str) -> Language {
        let mut best: Option<(Language, u16)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let range = parts.next().unwrap_or("").trim();
            let mut q = 1000u16;
            for param in parts {
                if let Some(value) = param.trim().strip_prefix("q=") {
                    q = parse_qvalue(value.trim()).unwrap_or(0);
                }
            }
            if q == 0 {
                continue;
            }
            if let Some(language) = Language::of_range(range)
                && best.is_none_or(|(_, best_q)| q > best_q)
            {
                best = Some((language, q));
            }
        }
        best.map_or(Language::English, |(language, _)| language)
    }
}

/// A `qvalue` in thousandths: `0`, `0.5`, `1.000`…
fn parse_qvalue(s: &str) -> Option<u16> {
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The message for `code` in `language`, if the catalogue has one (English messages are the
/// errors' own, so English has none here).
pub fn message(code: &str, language: Language) -> Option<&'static str> {
    match language {
        Language::English => None,
        Language::German => german(code),
    }
}

fn german(code: &str) -> Option<&'static str> {
    Some(match code {
        "account_deleted" => "Dieses Konto wurde gelöscht.",
        "account_disabled" => "Dieses Konto ist deaktiviert.",
        "account_expired" => {
            "Dieses Konto ist abgelaufen. Bitten Sie einen Administrator, es zu verlängern."
        }
        "account_locked" => {
            "Zu viele fehlgeschlagene Anmeldungen; das Konto ist gesperrt. Versuchen Sie es \
             später erneut oder fragen Sie einen Administrator."
        }
        "bad_request" => "Ungültige Anfrage.",
        "body_read_failed" => "Der Inhalt der Anfrage konnte nicht gelesen werden.",
        "checksum_mismatch" => "Die SHA-256-Prüfsumme stimmt nicht mit dem Inhalt überein.",
        "chunk_checksum_mismatch" => "Die Prüfsumme dieses Abschnitts stimmt nicht.",
        "company_inactive" => "Die Firma dieses Kontos ist nicht aktiv.",
        "conflict" => "Die Anfrage steht im Konflikt mit dem aktuellen Zustand.",
        "cursor_expired" => {
            "Dieser Cursor ist älter als die aufbewahrten Änderungen. Listen Sie neu auf."
        }
        "current_version" => "Die aktuelle Version kann so nicht geändert werden.",
        "depth_limit_exceeded" => "Die Ordnerstruktur wäre zu tief.",
        "device_wiped" => {
            "Dieses Gerät wurde aus der Ferne gelöscht: Entfernen Sie die lokalen Daten des \
             Kontos und bestätigen Sie."
        }
        "encryption_unsupported" => "Verschlüsselte Uploads werden nicht unterstützt.",
        "file_expired" => "Diese Datei ist abgelaufen.",
        "file_held" => "Diese Datei wird aufbewahrt und ist nicht verfügbar.",
        "file_infected" => "Diese Datei enthält Schadsoftware und wird nicht ausgeliefert.",
        "file_not_held" => "Diese Datei wird nicht aufbewahrt.",
        "file_too_large" => "Die Datei ist größer als erlaubt.",
        "folder_expired" => "Dieser Ordner ist abgelaufen.",
        "folder_size_limit" => "Die Größenbegrenzung des Ordners würde überschritten.",
        "forbidden" => "Dafür ist die Administratorrolle nötig.",
        "insufficient_scope" => "Die Berechtigungen dieses Tokens erlauben diese Anfrage nicht.",
        "internal_error" => "Interner Fehler.",
        "invalid_checksum" => "Die Prüfsumme ist ungültig.",
        "invalid_credentials" => "Falscher Benutzername oder falsches Passwort.",
        "invalid_cursor" => "Der Cursor ist ungültig.",
        "invalid_digest" => "Der Digest ist ungültig.",
        "invalid_field" => "Ein Feld ist ungültig.",
        "invalid_image" => {
            "Der Inhalt ist kein lesbares PNG-, JPEG-, WebP- oder GIF-Bild (oder hat zu viele Pixel)."
        }
        "invalid_link_password" => "Falsches Passwort für diesen Link.",
        "invalid_login" => "Der Benutzername ist ungültig.",
        "invalid_metadata" => "Die Metadaten sind ungültig.",
        "invalid_move" => "Ein Ordner kann nicht in sich selbst verschoben werden.",
        "invalid_multipart" => "Der mehrteilige Inhalt ist ungültig.",
        "invalid_name" => "Der Name ist ungültig.",
        "invalid_otp" => "Der Code ist falsch, abgelaufen oder wurde schon verwendet.",
        "invalid_part_number" => "Die Teilnummer ist ungültig.",
        "invalid_parts" => "Die Liste der Teile ist ungültig.",
        "invalid_password" => "Das Passwort ist ungültig.",
        "invalid_query" => "Ein Parameter der Anfrage ist ungültig.",
        "invalid_relative_path" => "Der relative Pfad ist ungültig.",
        "invalid_value" => "Ein Wert ist ungültig.",
        "invalid_webhook_url" => "Die Webhook-URL ist ungültig.",
        "link_exhausted" => "Dieser Link wurde so oft verwendet wie erlaubt.",
        "link_expired" => "Dieser Link ist abgelaufen.",
        "link_password_required" => "Dieser Link braucht ein Passwort.",
        "link_revoked" => "Dieser Link wurde widerrufen.",
        "mail_not_configured" => "Auf diesem Server ist kein E-Mail-Versand eingerichtet.",
        "malformed_json" => "Der Inhalt ist kein gültiges JSON.",
        "malformed_request" => "Die Anfrage ist fehlerhaft.",
        "method_not_allowed" => "Diese Methode ist hier nicht erlaubt.",
        "missing_field" => "Ein Pflichtfeld fehlt.",
        "missing_parts" => "Es fehlen Teile.",
        "name_conflict" => "Hier gibt es schon ein Element mit diesem Namen.",
        "not_found" => "Nicht gefunden.",
        "offset_mismatch" => "Der Offset stimmt nicht mit dem Stand des Uploads überein.",
        "original_parent_missing" => "Der ursprüngliche Ordner existiert nicht mehr.",
        "otp_required" => "Dieses Konto braucht einen Code aus der Authenticator-App (`otp`).",
        "part_checksum_mismatch" => "Die Prüfsumme des Teils stimmt nicht.",
        "part_size_mismatch" => "Die Größe des Teils stimmt nicht.",
        "payload_too_large" => "Der Inhalt der Anfrage ist zu groß.",
        "permission_denied" => "Sie dürfen dies sehen, aber nicht ändern.",
        "policy_denied" => "Eine Richtlinie verbietet diese Aktion.",
        "precondition_failed" => "Die Vorbedingung ist nicht erfüllt (das Element wurde geändert).",
        "preview_unavailable" => "Für diese Datei gibt es keine Vorschau.",
        "quota_exceeded" => "Das Speicherkontingent würde überschritten.",
        "range_not_satisfiable" => "Der angeforderte Bereich liegt außerhalb der Datei.",
        "request_timeout" => "Der Inhalt der Anfrage kam nicht rechtzeitig an.",
        "registration_closed" => {
            "Dieser Server nimmt keine Registrierungen an; bitten Sie einen Administrator um ein Konto."
        }
        "registration_token_invalid" => {
            "Der Bestätigungslink ist ungültig, abgelaufen oder wurde schon verwendet. Registrieren Sie sich erneut."
        }
        "reset_token_invalid" => {
            "Der Link zum Zurücksetzen ist ungültig, abgelaufen oder wurde schon verwendet."
        }
        "scan_pending" => "Diese Datei wird noch auf Viren geprüft.",
        "thumbnail_unavailable" => "Für diese Datei gibt es kein Vorschaubild.",
        "token_expired" => "Das Zugriffstoken ist abgelaufen. Melden Sie sich erneut an.",
        "too_many_attempts" => "Zu viele Versuche. Versuchen Sie es später erneut.",
        "too_many_requests" => "Zu viele Anfragen. Versuchen Sie es später erneut.",
        "too_many_files" => "Zu viele Dateien für diese Aktion.",
        "unauthorized" => "Anmeldung erforderlich.",
        "unavailable" => "Der Dienst ist vorübergehend nicht verfügbar.",
        "unsupported_checksum_algorithm" => "Dieser Prüfsummen-Algorithmus wird nicht unterstützt.",
        "unsupported_content_type" => "Dieser Content-Type wird hier nicht angenommen.",
        "unsupported_tus_version" => "Dieser Server spricht tus 1.0.0 (Tus-Resumable: 1.0.0).",
        "upload_aborted" => "Dieser Upload wurde abgebrochen.",
        "upload_already_completed" => "Dieser Upload ist bereits abgeschlossen.",
        "upload_failed" => "Dieser Upload ist fehlgeschlagen.",
        "upload_incomplete" => "Dieser Upload ist noch nicht vollständig.",
        "upload_session_expired" => "Diese Upload-Sitzung ist abgelaufen.",
        "watermark_unsupported" => "Dieser Dateityp kann kein Wasserzeichen tragen.",
        "webhook_inactive" => "Dieser Webhook ist deaktiviert.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_language_ferry_has() {
        let pick = Language::from_accept_language;
        assert_eq!(pick("de"), Language::German);
        assert_eq!(pick("de-AT"), Language::German);
        assert_eq!(pick("DE-de"), Language::German);
        assert_eq!(pick("fr-CH, fr;q=0.9, de;q=0.7, *;q=0.5"), Language::German);
        assert_eq!(pick("en;q=0.8, de;q=0.9"), Language::German);
        assert_eq!(pick("de;q=0.5, en"), Language::English);
        assert_eq!(
            pick("en, de"),
            Language::English,
            "the earlier range on a tie"
        );
        assert_eq!(pick("fr"), Language::English);
        assert_eq!(
            pick("de;q=0"),
            Language::English,
            "q=0 means not acceptable"
        );
        assert_eq!(pick("de;q=1.5, de;q=abc"), Language::English);
        assert_eq!(pick(""), Language::English);
        assert_eq!(pick(";;;,,,de"), Language::German);
    }

    #[test]
    fn every_code_of_the_catalogue_has_a_german_message() {
        // The codes of `Error::code`, read from its source, so a new error without a German
        // message fails here.
        let source = include_str!("error.rs");
        let body = &source[source.find("pub fn code(&self)").unwrap()..];
        let body = &body[..body.find("\n    }\n").unwrap()];
        let codes: Vec<&str> = body
            .split("=> \"")
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap()])
            .collect();
        assert!(codes.len() > 50, "{codes:?}");
        for code in codes {
            assert!(
                message(code, Language::German).is_some(),
                "no German message for {code}"
            );
        }
        assert_eq!(message("not_found", Language::English), None);
    }
}
