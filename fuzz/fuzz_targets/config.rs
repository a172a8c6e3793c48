//! Configuration loading (`ferry_app::Config`): a TOML file's text over the defaults, with the
//! unknown-key check that names the nearest valid key, and the `FERRY_*` environment variable
//! check. Properties: never a panic; an accepted file gives a configuration that renders
//! (redacted, as `ferry serve --print-config` prints it).
#![no_main]

use ferry_app::Config;
use ferry_app::config::check_env;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Each line also as an environment variable `NAME=value`.
    let vars = text.lines().filter_map(|l| {
        l.split_once('=')
            .map(|(k, v)| (k.to_string(), v.to_string()))
    });
    let _ = check_env(vars);
    if let Ok(config) = Config::from_toml(text) {
        let shown = config.redacted_toml();
        assert!(!shown.is_empty());
    }
});
