//! Two-factor login with TOTP (RFC 6238): a user turns it on with a secret their
//! authenticator app holds, proves it with a first code, and gets single-use recovery codes.
//! From then on a login needs a code as well as the password; HTTP Basic with the password
//! stops working for the account (tokens keep working: they were issued after a login).

use ferry_core::audit::{Action, TargetKind};
use ferry_core::ids::random_bytes;
use ferry_store::users::User;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::json;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, Totp};

use crate::access;
use crate::audit;
use crate::caller::{Caller, Origin};
use crate::coherence::commit_change;
use crate::error::{Error, Result};
use crate::state::AppState;

/// How many recovery codes a user gets.
const RECOVERY_CODES: usize = 10;
/// The name authenticator apps show the account under.
const ISSUER: &str = "Ferry";

/// What a user needs to add the account to an authenticator app.
pub struct Enrolment {
    /// Base32, for typing in.
    pub secret: String,
    /// `otpauth://totp/…`, for a QR code.
    pub otpauth_uri: String,
}

/// Where a user's two-factor login stands.
pub struct Status {
    pub enabled: bool,
    /// A secret was handed out but not yet confirmed with a code.
    pub pending: bool,
    pub recovery_codes_left: i64,
}

fn me(caller: &Caller) -> Result<&User> {
    caller.user_ref().ok_or(Error::Unauthorized)
}

/// The RFC 6238 defaults every authenticator app supports: SHA-1, 6 digits, 30 s steps, and
/// one step of clock skew either way.
fn totp(secret_base32: &str) -> Result<Totp> {
    let secret = Secret::try_from_base32(secret_base32)
        .map_err(|_| Error::Internal(anyhow::anyhow!("a stored TOTP secret is not base32")))?;
    totp_rs::Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_secret(secret.as_bytes())
        .build()
        .map_err(|e| Error::Internal(anyhow::anyhow!("TOTP: {e}")))
}

/// The 30-second step `code` is valid for at `now_ms`, if it is valid at all.
fn step_of(secret_base32: &str, code: &str, now_ms: i64) -> Result<Option<i64>> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let now = u64::try_from(now_ms / 1000).unwrap_or(0);
    Ok(totp(secret_base32)?
        .check(code, now)
        .and_then(|step| i64::try_from(step).ok()))
}

/// Recovery codes are compared without case, spaces or dashes.
fn recovery_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

/// A new recovery code: 50 random bits as ten base32 letters, `xxxxx-xxxxx`.
fn new_recovery_code() -> String {
    let letters = Secret::new(Box::new(random_bytes::<7>()))
        .to_base32()
        .to_ascii_lowercase();
    format!("{}-{}", &letters[..5], &letters[5..10])
}

/// The caller's two-factor status.
pub async fn status(app: &AppState, caller: &Caller) -> Result<Status> {
    let user = me(caller)?;
    let mut conn = app.store.conn().await?;
    let totp = ferry_store::two_factor::get(&mut conn, &user.id).await?;
    let enabled = totp.as_ref().is_some_and(|t| t.is_confirmed());
    Ok(Status {
        enabled,
        pending: totp.is_some() && !enabled,
        recovery_codes_left: if enabled {
            ferry_store::two_factor::recovery_codes_left(&mut conn, &user.id).await?
        } else {
            0
        },
    })
}

/// Hands out a new secret (replacing one not yet confirmed). Nothing changes at login until
/// the user confirms it with a code.
pub async fn begin(app: &AppState, caller: &Caller) -> Result<Enrolment> {
    access::may_manage_credentials(caller)?;
    let user = me(caller)?;
    // 160 bits, as RFC 4226 recommends.
    let secret = Secret::new(Box::new(random_bytes::<20>())).to_base32();
    let mut tx = app.store.begin().await?;
    if !ferry_store::two_factor::put_pending(&mut tx, &user.id, &secret, app.now_ms()).await? {
        return Err(Error::Conflict(
            "Two-factor login is already on; turn it off first to set up a new app.".into(),
        ));
    }
    tx.commit().await?;
    let label = format!("{ISSUER}:{}", user.login);
    let otpauth_uri = format!(
        "otpauth://totp/{}?secret={secret}&issuer={ISSUER}&algorithm=SHA1&digits=6&period=30",
        utf8_percent_encode(&label, NON_ALPHANUMERIC)
    );
    Ok(Enrolment {
        secret,
        otpauth_uri,
    })
}

fn wrong_code() -> Error {
    Error::invalid(
        "code",
        "invalid_otp",
        "The code is wrong, expired or already used.",
    )
}

/// Confirms the pending secret with a code from the app: two-factor login is on from now, and
/// the recovery codes are returned (the only time they are shown).
pub async fn confirm(app: &AppState, caller: &Caller, code: &str) -> Result<Vec<String>> {
    access::may_manage_credentials(caller)?;
    let user = me(caller)?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let pending = ferry_store::two_factor::get(&mut tx, &user.id)
        .await?
        .filter(|t| !t.is_confirmed())
        .ok_or_else(|| {
            Error::Conflict("Nothing to confirm: ask for a secret with POST /me/2fa first.".into())
        })?;
    let step = step_of(&pending.secret, code, now)?.ok_or_else(wrong_code)?;
    if !ferry_store::two_factor::accept_step(&mut tx, &user.id, step).await? {
        return Err(wrong_code());
    }
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(c)).collect();
    ferry_store::two_factor::confirm(&mut tx, &user.id, &hashes, now).await?;
    audit::success(
        &caller.origin,
        Some(user),
        Action::Auth2faEnabled,
        (TargetKind::User, &user.id),
    )
    .at(now)
    .append(&mut tx)
    .await?;
    // The user's cached copy says whether a login needs a code.
    commit_change(app, tx).await?;
    Ok(codes)
}

/// Turns the caller's two-factor login off; a current code (or a recovery code) proves that
/// the one asking holds the second factor, not only a token.
pub async fn disable(app: &AppState, caller: &Caller, code: &str) -> Result<()> {
    access::may_manage_credentials(caller)?;
    let user = me(caller)?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let totp = ferry_store::two_factor::get(&mut tx, &user.id)
        .await?
        .filter(|t| t.is_confirmed())
        .ok_or(Error::NotFound)?;
    if second_factor(&mut tx, &totp, user, code, now).await? == Proof::None {
        return Err(wrong_code());
    }
    ferry_store::two_factor::remove(&mut tx, &user.id).await?;
    audit::success(
        &caller.origin,
        Some(user),
        Action::Auth2faDisabled,
        (TargetKind::User, &user.id),
    )
    .at(now)
    .append(&mut tx)
    .await?;
    commit_change(app, tx).await?;
    Ok(())
}

/// An admin turns off the two-factor login of a user who lost their app and their recovery
/// codes (a company admin for their company's users).
pub async fn reset(app: &AppState, caller: &Caller, user_id: &str) -> Result<()> {
    access::may_manage_credentials(caller)?;
    let user = access::managed_user(app, caller, user_id).await?;
    access::may_change_user(caller, &user)?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    if !ferry_store::two_factor::remove(&mut tx, user_id).await? {
        return Err(Error::NotFound);
    }
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::Auth2faDisabled,
        (TargetKind::User, user_id),
    )
    .at(now)
    .details(json!({"reset_by_admin": true}))
    .append(&mut tx)
    .await?;
    commit_change(app, tx).await?;
    Ok(())
}

/// What a second-factor code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proof {
    /// A valid code from the app, now used up.
    Code,
    /// An unused recovery code, now used up.
    RecoveryCode,
    /// Neither.
    None,
}

/// Checks `code` against `user`'s TOTP secret or recovery codes, using it up if it is valid.
async fn second_factor(
    conn: &mut ferry_store::Conn,
    totp: &ferry_store::two_factor::Totp,
    user: &User,
    code: &str,
    now: i64,
) -> Result<Proof> {
    let accepted = match step_of(&totp.secret, code, now)? {
        Some(step) => ferry_store::two_factor::accept_step(conn, &user.id, step)
            .await?
            .then_some(Proof::Code),
        None => {
            ferry_store::two_factor::use_recovery_code(conn, &user.id, &recovery_hash(code), now)
                .await?
                .then_some(Proof::RecoveryCode)
        }
    };
    Ok(accepted.unwrap_or(Proof::None))
}

/// The second step of a login whose password was right: `OtpRequired` without a code,
/// `InvalidOtp` (counted as a failed login, so codes cannot be guessed) with a wrong one.
pub(crate) async fn check_at_login(
    app: &AppState,
    origin: &Origin,
    user: &User,
    otp: Option<&str>,
) -> Result<()> {
    let Some(code) = otp.filter(|c| !c.trim().is_empty()) else {
        return Err(Error::OtpRequired);
    };
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let Some(totp) = ferry_store::two_factor::get(&mut tx, &user.id)
        .await?
        .filter(|t| t.is_confirmed())
    else {
        // Turned off since the user was read: the password was enough.
        return Ok(());
    };
    let proof = second_factor(&mut tx, &totp, user, code, now).await?;
    if proof != Proof::None {
        if proof == Proof::RecoveryCode {
            let left = ferry_store::two_factor::recovery_codes_left(&mut tx, &user.id).await?;
            audit::success(
                origin,
                Some(user),
                Action::Auth2faRecoveryUsed,
                (TargetKind::User, &user.id),
            )
            .at(now)
            .details(json!({"recovery_codes_left": left}))
            .append(&mut tx)
            .await?;
        }
        tx.commit().await?;
        return Ok(());
    }
    tx.rollback().await?;
    crate::auth::record_failure(app, origin, user, "wrong_otp").await?;
    Err(Error::InvalidOtp)
}
