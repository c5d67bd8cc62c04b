//! Files made at start rather than found in ROOT: `--env-js`, the client
//! configuration of one deployment, for a site whose root is read-only.

use std::ffi::OsString;

use bytes::Bytes;

/// A file the server makes at start and serves at `key` (a path in the site,
/// `env.js`), `no-cache`, with an ETag of its content. A key that a file or
/// directory of ROOT already has is refused at load.
#[derive(Debug, Clone)]
pub struct GeneratedFile {
    /// Where it is served, without the leading `/`.
    pub key: String,
    /// Its bytes.
    pub content: Bytes,
    /// The option that asked for it, for the error that refuses a clash.
    pub origin: &'static str,
}

/// Only variables with this prefix are ever exposed, the prefix stripped.
pub const ENV_PREFIX: &str = "MOTE_PUBLIC_";

/// `window.__ENV = {"API_URL":"https://api.example"};` from every variable named
/// `MOTE_PUBLIC_*` in `vars` (the process environment), sorted by name, values
/// JSON strings. A variable of that prefix that is not UTF-8 is an error; no
/// other variable is read.
pub fn env_js(
    key: String,
    vars: impl Iterator<Item = (OsString, OsString)>,
) -> Result<GeneratedFile, String> {
    // Kept sorted as it is built, so that replicas with one environment serve one ETag.
    let mut public: Vec<(String, String)> = Vec::new();
    for (name, value) in vars {
        let Some(short) = name.to_str().and_then(|n| n.strip_prefix(ENV_PREFIX)) else {
            continue;
        };
        if short.is_empty() {
            continue;
        }
        let short = short.to_string();
        let value = value
            .into_string()
            .map_err(|_| format!("the variable {ENV_PREFIX}{short} is not UTF-8"))?;
        let at = public.partition_point(|(n, _)| *n < short);
        public.insert(at, (short, value));
    }
    let mut js = b"window.__ENV = {".to_vec();
    for (i, (name, value)) in public.iter().enumerate() {
        if i > 0 {
            js.push(b',');
        }
        json_string(&mut js, name);
        js.push(b':');
        json_string(&mut js, value);
    }
    js.extend_from_slice(b"};\n");
    Ok(GeneratedFile {
        key,
        content: Bytes::from(js),
        origin: "--env-js",
    })
}

/// `s` as a JSON string: `"` and `\` escaped, control characters and `<`, `>`, `&`
/// as `\u00XX` (so that the text is also safe where a page inlines it in a
/// `<script>`); the rest, UTF-8 included, as it is.
fn json_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' | b'\\' => out.extend_from_slice(&[b'\\', b]),
            0..=0x1f | b'<' | b'>' | b'&' => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Iterator<Item = (OsString, OsString)> {
        pairs
            .iter()
            .map(|(n, v)| (OsString::from(n), OsString::from(v)))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn only_public_variables_prefix_stripped_sorted_escaped() {
        let file = env_js(
            "env.js".into(),
            vars(&[
                ("MOTE_PUBLIC_Z", "last"),
                ("HOME", "/root"),
                ("MOTE_PUBLIC_API_URL", "https://api.example/?a=1&b=\"2\""),
                ("MOTE_LISTEN", "8080"),
                ("MOTE_PUBLIC_", "no name"),
                ("MOTE_PUBLIC_NOTE", "</script>\n\u{1} \u{e9}"),
            ]),
        )
        .unwrap();
        assert_eq!(
            std::str::from_utf8(&file.content).unwrap(),
            "window.__ENV = {\"API_URL\":\"https://api.example/?a=1\\u0026b=\\\"2\\\"\",\
             \"NOTE\":\"\\u003c/script\\u003e\\u000a\\u0001 \u{e9}\",\"Z\":\"last\"};\n"
        );
        let none = env_js("env.js".into(), vars(&[("PATH", "/bin")])).unwrap();
        assert_eq!(&none.content[..], b"window.__ENV = {};\n");
    }
}
