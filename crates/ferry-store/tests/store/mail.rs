//! The mail outbox's claims: a worker that stops (or fails) before recording its attempts
//! hands back everything its claim token holds, even mails whose claim it never heard back
//! about; what it recorded is not touched.

use ferry_store::Store;
use ferry_store::mail::{self, MailOutcome, NewMail};

use super::{postgres, sqlite};

conformance!(a_claim_token_hands_back_what_it_has_not_recorded);

async fn a_claim_token_hands_back_what_it_has_not_recorded(store: &Store) {
    let mut c = store.conn().await.unwrap();
    for id in ["mai_a", "mai_b", "mai_c"] {
        mail::enqueue(
            &mut c,
            &NewMail {
                id,
                kind: "test",
                recipient: "someone@example.com",
                subject: "hello",
                text_body: "text",
                html_body: "<p>html</p>",
                now: 10,
            },
        )
        .await
        .unwrap();
    }
    let claimed = mail::claim(&mut c, 20, 100_000, "token-1", 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    assert!(
        mail::claim(&mut c, 30, 100_000, "token-2", 10)
            .await
            .unwrap()
            .is_empty(),
        "claimed mails are not claimed twice"
    );
    assert!(
        mail::finish(&mut c, "mai_a", "token-1", MailOutcome::Sent, None, 40)
            .await
            .unwrap()
    );
    mail::release(&mut c, "token-1").await.unwrap();
    // The two unrecorded ones are due at once for anyone; the sent one stays sent.
    let again = mail::claim(&mut c, 50, 100_000, "token-3", 10)
        .await
        .unwrap();
    let mut ids: Vec<String> = again.iter().map(|m| m.id.to_string()).collect();
    ids.sort();
    assert_eq!(ids, ["mai_b", "mai_c"]);
    // A token that holds nothing (or someone else's finished work) releases nothing.
    mail::release(&mut c, "token-1").await.unwrap();
    assert!(
        mail::claim(&mut c, 60, 100_000, "token-4", 10)
            .await
            .unwrap()
            .is_empty()
    );
}
