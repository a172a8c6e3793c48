//! The mails Ferry sends, written in code: each is a subject, a plain-text body and an HTML
//! body saying the same. Everything a user typed (names, folder and file names, messages) is
//! HTML-escaped in the HTML body; subjects lose line breaks, so nothing can add a header.

/// One mail's content.
#[derive(Debug, Clone)]
pub struct Letter {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// `s` safe inside HTML text and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A subject on one line, at most 200 characters.
fn subject(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect()
}

/// What a letter is made of, in order: paragraphs of text and at most one button.
enum Block<'a> {
    Text(String),
    /// Someone's own words, quoted.
    Quote(&'a str),
    Button {
        label: &'a str,
        url: &'a str,
    },
}

fn letter(title: &str, blocks: &[Block<'_>]) -> Letter {
    let mut text = String::new();
    let mut html = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\
         <body style=\"font-family: sans-serif; line-height: 1.5; color: #222;\">\n",
    );
    for block in blocks {
        match block {
            Block::Text(t) => {
                text.push_str(t);
                html.push_str(&format!("<p>{}</p>\n", escape_html(t)));
            }
            Block::Quote(q) => {
                for line in q.lines() {
                    text.push_str("> ");
                    text.push_str(line);
                    text.push('\n');
                }
                html.push_str(&format!(
                    "<blockquote style=\"border-left: 3px solid #ccc; margin: 0; padding-left: \
                     1em; white-space: pre-wrap;\">{}</blockquote>\n",
                    escape_html(q)
                ));
            }
            Block::Button { label, url } => {
                text.push_str(url);
                html.push_str(&format!(
                    "<p><a href=\"{0}\" style=\"display: inline-block; padding: 0.6em 1.2em; \
                     background: #2456d6; color: #fff; text-decoration: none; border-radius: \
                     4px;\">{1}</a></p>\n<p style=\"font-size: 0.85em; color: #666;\">{0}</p>\n",
                    escape_html(url),
                    escape_html(label)
                ));
            }
        }
        text.push_str("\n\n");
    }
    text.push_str("-- \nFerry\n");
    html.push_str("<p style=\"font-size: 0.85em; color: #666;\">Ferry</p>\n</body></html>\n");
    Letter {
        subject: subject(title),
        text,
        html,
    }
}

/// The password reset mail with its single-use link.
pub fn password_reset(name: &str, url: &str, valid_minutes: i64) -> Letter {
    letter(
        "Reset your Ferry password",
        &[
            Block::Text(format!("Hello {name},")),
            Block::Text(
                "someone (hopefully you) asked to reset the password of your Ferry account. \
                 Open this link to choose a new one:"
                    .into(),
            ),
            Block::Button {
                label: "Choose a new password",
                url,
            },
            Block::Text(format!(
                "The link works once, for {valid_minutes} minutes. Setting a new password ends \
                 every session of your account. If you did not ask for this, ignore this mail: \
                 your password stays as it is."
            )),
        ],
    )
}

/// A folder was shared with the recipient.
pub fn invitation(
    inviter: &str,
    folder: &str,
    role: &str,
    message: &str,
    url: &str,
    has_account: bool,
) -> Letter {
    let mut blocks = vec![Block::Text(format!(
        "{inviter} shared the folder \"{folder}\" with you on Ferry, as {role}."
    ))];
    if !message.trim().is_empty() {
        blocks.push(Block::Text(format!("{inviter} wrote:")));
        blocks.push(Block::Quote(message));
    }
    blocks.push(Block::Text(if has_account {
        "Sign in to accept or decline the invitation:".into()
    } else {
        "Once you have a Ferry account with this address, the folder is waiting for you there:"
            .into()
    }));
    blocks.push(Block::Button {
        label: "Open Ferry",
        url,
    });
    letter(&format!("{inviter} shared \"{folder}\" with you"), &blocks)
}

/// A file arrived through one of the recipient's upload links.
pub fn link_uploaded(
    file: &str,
    size: i64,
    uploader: Option<&str>,
    uploader_email: Option<&str>,
    url: &str,
) -> Letter {
    let who = match (uploader, uploader_email) {
        (Some(n), Some(e)) => format!("{n} <{e}>"),
        (Some(n), None) => n.to_string(),
        (None, Some(e)) => e.to_string(),
        (None, None) => "Someone".to_string(),
    };
    letter(
        &format!("New file through your upload link: {file}"),
        &[
            Block::Text(format!(
                "{who} uploaded \"{file}\" ({size} bytes) through one of your upload links."
            )),
            Block::Button {
                label: "Open Ferry",
                url,
            },
        ],
    )
}

/// The confirmation mail of a sign-up, with its single-use link.
pub fn registration_confirm(name: &str, url: &str, valid_hours: i64, approval: bool) -> Letter {
    let after = if approval {
        "Once you confirm, an admin looks at your sign-up; you get a mail when it is decided."
    } else {
        "Once you confirm, your account is ready and you can sign in."
    };
    letter(
        "Confirm your Ferry sign-up",
        &[
            Block::Text(format!("Hello {name},")),
            Block::Text(
                "someone (hopefully you) signed up for a Ferry account with this address. \
                 Open this link to confirm it:"
                    .into(),
            ),
            Block::Button {
                label: "Confirm my address",
                url,
            },
            Block::Text(format!(
                "The link works once, for {valid_hours} hours. {after} If you did not sign up, \
                 ignore this mail: no account is made."
            )),
        ],
    )
}

/// An admin decided a sign-up: the account exists now, or it was refused.
pub fn registration_decided(name: &str, approved: bool, url: &str) -> Letter {
    if approved {
        letter(
            "Your Ferry account is ready",
            &[
                Block::Text(format!("Hello {name},")),
                Block::Text(
                    "an admin approved your sign-up: you can sign in with your address and \
                     the password you chose."
                        .into(),
                ),
                Block::Button {
                    label: "Open Ferry",
                    url,
                },
            ],
        )
    } else {
        letter(
            "Your Ferry sign-up was declined",
            &[
                Block::Text(format!("Hello {name},")),
                Block::Text(
                    "an admin declined your sign-up; no account was made. Ask the people who \
                     run this Ferry server if you think this is a mistake."
                        .into(),
                ),
            ],
        )
    }
}

/// An admin granted or refused the recipient's request for more quota.
pub fn quota_decided(approved: bool, quota_bytes: i64, message: Option<&str>, url: &str) -> Letter {
    let (title, text) = if approved {
        (
            "Your request for more storage was granted",
            format!("An admin granted your request: your quota is now {quota_bytes} bytes."),
        )
    } else {
        (
            "Your request for more storage was declined",
            format!("An admin declined your request for a quota of {quota_bytes} bytes."),
        )
    };
    let mut blocks = vec![Block::Text(text)];
    if let Some(m) = message.filter(|m| !m.trim().is_empty()) {
        blocks.push(Block::Text("They wrote:".into()));
        blocks.push(Block::Quote(m));
    }
    blocks.push(Block::Button {
        label: "Open Ferry",
        url,
    });
    letter(title, &blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_is_escaped_in_html_and_kept_in_text() {
        let l = invitation(
            "<b>eve</b>",
            "Q&A \"1\"",
            "viewer",
            "hi <script>alert(1)</script>\nsecond line",
            "https://ferry.example/?a=1&b=2",
            true,
        );
        assert!(!l.html.contains("<script>") && !l.html.contains("<b>eve"));
        assert!(l.html.contains("&lt;script&gt;") && l.html.contains("Q&amp;A &quot;1&quot;"));
        assert!(
            l.html
                .contains("href=\"https://ferry.example/?a=1&amp;b=2\"")
        );
        assert!(
            l.text
                .contains("<b>eve</b> shared the folder \"Q&A \"1\"\"")
        );
        assert!(l.text.contains("> second line"));
    }

    #[test]
    fn subjects_stay_on_one_line() {
        let l = link_uploaded("a\r\nBcc: x@y.z", 3, None, None, "u");
        assert!(!l.subject.contains('\n') && !l.subject.contains('\r'));
    }

    #[test]
    fn the_reset_mail_carries_its_link_in_both_bodies() {
        let l = password_reset("Alice", "https://f.example/reset?token=abc", 30);
        assert!(l.text.contains("https://f.example/reset?token=abc"));
        assert!(l.html.contains("https://f.example/reset?token=abc"));
        assert!(l.text.contains("30 minutes"));
    }
}
