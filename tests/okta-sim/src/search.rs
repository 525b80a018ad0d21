//! Parser and evaluator for the SCIM-like expressions of Okta's `search` and `filter` query parameters:
//! `attr op "value"`, `attr pr`, `and`, `or`, parentheses. Operators and string values are case
//! insensitive; attribute names are case sensitive (SPEC `listUsers.search`). Which attributes and
//! operators are allowed differs per endpoint and per parameter, so callers pass a `Rules` check.

use crate::errors::OktaError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Sw,
    Co,
    Gt,
    Ge,
    Lt,
    Le,
    Pr,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// `value` is `None` for `null` and for `pr`.
    Cmp {
        attr: String,
        op: Op,
        value: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Word(String),
    Str(String),
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Tok::Open);
            }
            ')' => {
                chars.next();
                out.push(Tok::Close);
            }
            '"' => {
                chars.next();
                let mut v = String::new();
                loop {
                    match chars.next() {
                        None => return Err("unterminated string".into()),
                        Some('"') => break,
                        // Backslash escapes: `\"` and `\\` (and any other char taken literally).
                        Some('\\') => match chars.next() {
                            Some(e) => v.push(e),
                            None => return Err("dangling escape".into()),
                        },
                        Some(o) => v.push(o),
                    }
                }
                out.push(Tok::Str(v));
            }
            _ => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '(' || c == ')' || c == '"' {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                out.push(Tok::Word(w));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek_kw(&self, kw: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.peek_kw("or") {
            self.pos += 1;
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.primary()?;
        while self.peek_kw("and") {
            self.pos += 1;
            let right = self.primary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Open) => {
                self.pos += 1;
                let e = self.or()?;
                if self.toks.get(self.pos) != Some(&Tok::Close) {
                    return Err("missing )".into());
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Tok::Word(attr)) => {
                if ["and", "or", "not"]
                    .iter()
                    .any(|k| attr.eq_ignore_ascii_case(k))
                {
                    return Err(format!("unexpected {attr}"));
                }
                self.pos += 1;
                let op = match self.toks.get(self.pos) {
                    Some(Tok::Word(op)) => op.to_ascii_lowercase(),
                    _ => return Err("missing operator".into()),
                };
                self.pos += 1;
                let op = match op.as_str() {
                    "eq" => Op::Eq,
                    "sw" => Op::Sw,
                    "co" => Op::Co,
                    "gt" => Op::Gt,
                    "ge" => Op::Ge,
                    "lt" => Op::Lt,
                    "le" => Op::Le,
                    "pr" => {
                        return Ok(Expr::Cmp {
                            attr,
                            op: Op::Pr,
                            value: None,
                        });
                    }
                    // `ne` is explicitly unsupported by Okta (SPEC listUsers.search).
                    other => return Err(format!("unsupported operator {other}")),
                };
                let value = match self.toks.get(self.pos).cloned() {
                    Some(Tok::Str(s)) => Some(s),
                    Some(Tok::Word(w)) if w.eq_ignore_ascii_case("null") => None,
                    Some(Tok::Word(w))
                        if w.eq_ignore_ascii_case("true")
                            || w.eq_ignore_ascii_case("false")
                            || w.parse::<f64>().is_ok() =>
                    {
                        Some(w.to_ascii_lowercase())
                    }
                    _ => return Err("missing value".into()),
                };
                self.pos += 1;
                Ok(Expr::Cmp { attr, op, value })
            }
            _ => Err("unexpected token".into()),
        }
    }
}

/// Parses an expression; a malformed one is Okta's 400 E0000031 "Invalid search criteria."
/// The expression of a list request's `search` or `filter` parameter, checked against what each allows. Okta
/// refuses both at once (E0000033).
pub fn from_query(
    search: Option<&str>,
    filter: Option<&str>,
    search_allowed: &dyn Fn(&str, Op) -> bool,
    filter_allowed: &dyn Fn(&str, Op) -> bool,
) -> Result<Option<Expr>, OktaError> {
    let (text, allowed) = match (search, filter) {
        (Some(_), Some(_)) => {
            return Err(OktaError::new(
                400,
                "E0000033",
                "Bad request. Can't specify a search query and filter in the same request.",
            ));
        }
        (Some(s), None) => (s, search_allowed),
        (None, Some(f)) => (f, filter_allowed),
        (None, None) => return Ok(None),
    };
    let expr = parse(text)?;
    expr.check(allowed)?;
    Ok(Some(expr))
}

pub fn parse(s: &str) -> Result<Expr, OktaError> {
    let toks = tokenize(s).map_err(|_| OktaError::invalid_search())?;
    if toks.is_empty() {
        return Err(OktaError::invalid_search());
    }
    let mut p = Parser { toks, pos: 0 };
    let e = p.or().map_err(|_| OktaError::invalid_search())?;
    if p.pos != p.toks.len() {
        return Err(OktaError::invalid_search());
    }
    Ok(e)
}

impl Expr {
    /// Rejects (E0000031) an expression using an attribute/operator pair the endpoint doesn't allow.
    pub fn check(&self, allowed: &dyn Fn(&str, Op) -> bool) -> Result<(), OktaError> {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.check(allowed)?;
                b.check(allowed)
            }
            Expr::Cmp { attr, op, .. } => {
                if allowed(attr, *op) {
                    Ok(())
                } else {
                    Err(OktaError::invalid_search())
                }
            }
        }
    }

    /// `get` returns every value of an attribute (several for array properties; empty when absent).
    pub fn eval(&self, get: &dyn Fn(&str) -> Vec<String>) -> bool {
        match self {
            Expr::And(a, b) => a.eval(get) && b.eval(get),
            Expr::Or(a, b) => a.eval(get) || b.eval(get),
            Expr::Cmp { attr, op, value } => {
                let vals = get(attr);
                let Some(want) = value.as_ref().map(|v| v.to_lowercase()) else {
                    // `pr` (present) or `eq null`.
                    return match op {
                        Op::Pr => vals.iter().any(|v| !v.is_empty()),
                        _ => vals.is_empty(),
                    };
                };
                vals.iter().any(|v| {
                    let v = v.to_lowercase();
                    // Ordering comparisons are plain string comparisons: correct for Okta's fixed-width
                    // ISO-8601 timestamps and for the enum example `status lt "STAGED"` in the SPEC.
                    match op {
                        Op::Eq => v == want,
                        Op::Sw => v.starts_with(&want),
                        Op::Co => v.contains(&want),
                        Op::Gt => v > want,
                        Op::Ge => v >= want,
                        Op::Lt => v < want,
                        Op::Le => v <= want,
                        Op::Pr => true,
                    }
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn get(attr: &str) -> Vec<String> {
        match attr {
            "profile.login" => vec!["Jane.Doe@acme.example".into()],
            "status" => vec!["ACTIVE".into()],
            _ => vec![],
        }
    }

    #[test]
    fn parses_and_evaluates() {
        let e = parse(r#"profile.login eq "jane.doe@acme.example" and (status eq "ACTIVE" or status eq "STAGED")"#).unwrap();
        assert!(e.eval(&get));
        assert!(parse(r#"profile.login sw "jane""#).unwrap().eval(&get));
        assert!(
            !parse(r#"profile.Login eq "jane.doe@acme.example""#)
                .unwrap()
                .eval(&get)
        );
        assert!(parse(r#"profile.login co "DOE""#).unwrap().eval(&get));
        assert!(parse("profile.nickName eq null").unwrap().eval(&get));
    }

    #[test]
    fn escapes() {
        let e = parse(r#"profile.login eq "a\"b\\c""#).unwrap();
        assert_eq!(
            e,
            Expr::Cmp {
                attr: "profile.login".into(),
                op: Op::Eq,
                value: Some(r#"a"b\c"#.into())
            }
        );
    }

    #[test]
    fn malformed() {
        for s in [
            "",
            "status",
            "status eq",
            r#"status eq "ACTIVE" and"#,
            r#"status ne "ACTIVE""#,
            r#"(status eq "ACTIVE""#,
            r#"status eq "ACTIVE"#,
            "status eq ACTIVE",
        ] {
            assert_eq!(parse(s).unwrap_err().code, "E0000031", "{s}");
        }
    }
}
