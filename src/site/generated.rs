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
    let mut public = Vec::new();
    for (name, value) in vars {
        let Some(name) = name.to_str() else { continue };
        let Some(short) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if short.is_empty() {
            continue;
        }
        let value = value
            .into_string()
            .map_err(|_| format!("the variable {name} is not UTF-8"))?;
        public.push((short.to_string(), value));
    }
    public.sort();
    let mut js = String::from("window.__ENV = {");
    for (i, (name, value)) in public.iter().enumerate() {
        if i > 0 {
            js.push(',');
        }
        json_string(&mut js, name);
        js.push(':');
        json_string(&mut js, value);
    }
    js.push_str("};\n");
    Ok(GeneratedFile {
        key,
        content: Bytes::from(js),
        origin: "--env-js",
    })
}

/// `s` as a JSON string; `<`, `>` and `&` escaped too, so that the text is also
/// safe where a page inlines it in a `<script>`.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                let code = c as u32;
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(char::from(
                        b"0123456789abcdef"[((code >> shift) & 0xf) as usize],
                    ));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
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
                ("MOTE_PUBLIC_NOTE", "</script>\n\u{1}"),
            ]),
        )
        .unwrap();
        assert_eq!(
            std::str::from_utf8(&file.content).unwrap(),
            "window.__ENV = {\"API_URL\":\"https://api.example/?a=1\\u0026b=\\\"2\\\"\",\
             \"NOTE\":\"\\u003c/script\\u003e\\n\\u0001\",\"Z\":\"last\"};\n"
        );
        let none = env_js("env.js".into(), vars(&[("PATH", "/bin")])).unwrap();
        assert_eq!(&none.content[..], b"window.__ENV = {};\n");
    }
}
