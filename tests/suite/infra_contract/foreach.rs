//! What `AWS::LanguageExtensions` does to the template before SAM sees it, as far as the template uses it: every
//! `Fn::ForEach::<Loop>` in Resources and Outputs becomes one copy of its fragment per item, with `${Identifier}`
//! replaced in keys and `Fn::Sub` text, `!Ref Identifier` by the item, and the lookups that become literal resolved
//! (`!FindInMap` of Mappings, `!Select`, `!Join` and `!Sub [text, {literals}]` of literals, `Ref`/`GetAtt` of a `!Sub` without variables).
//! The checks then read the template as CloudFormation deploys it.

use serde_norway::value::{Tag, TaggedValue};
use serde_norway::{Mapping, Value as Yaml};

use super::intrinsic;

const PREFIX: &str = "Fn::ForEach::";

pub fn expand(mut template: Yaml) -> Yaml {
    let mappings = template.get("Mappings").cloned().unwrap_or(Yaml::Null);
    for section in ["Resources", "Outputs"] {
        if let Some(Yaml::Mapping(map)) = template.get_mut(section) {
            let expanded = expand_section(std::mem::take(map), &mappings);
            *map = expanded;
        }
    }
    template
}

fn expand_section(section: Mapping, mappings: &Yaml) -> Mapping {
    let mut out = Mapping::new();
    for (key, value) in section {
        let Some(name) = key.as_str().and_then(|key| key.strip_prefix(PREFIX)) else {
            out.insert(key, value);
            continue;
        };
        let parts = value.as_sequence().cloned().unwrap_or_default();
        let [identifier, collection, fragment] = parts.as_slice() else {
            panic!("{PREFIX}{name}: not [identifier, collection, fragment]");
        };
        let identifier = identifier
            .as_str()
            .unwrap_or_else(|| panic!("{PREFIX}{name}: the identifier is not a string"));
        let items: Vec<&str> = collection
            .as_sequence()
            .unwrap_or_else(|| panic!("{PREFIX}{name}: the collection is not a literal list"))
            .iter()
            .map(|item| {
                item.as_str()
                    .unwrap_or_else(|| panic!("{PREFIX}{name}: an item is not a string"))
            })
            .collect();
        let fragment = fragment
            .as_mapping()
            .unwrap_or_else(|| panic!("{PREFIX}{name}: the fragment is not a mapping"));
        for item in items {
            let loop_ = Loop {
                identifier,
                item,
                mappings,
            };
            for (key, value) in fragment {
                let key = loop_.replace(key.as_str().unwrap_or_default());
                let previous =
                    out.insert(Yaml::String(key.clone()), loop_.substitute(value.clone()));
                assert!(previous.is_none(), "{PREFIX}{name}: {key} is defined twice");
            }
        }
    }
    out
}

struct Loop<'a> {
    identifier: &'a str,
    item: &'a str,
    mappings: &'a Yaml,
}

fn tagged(tag: &str, value: Yaml) -> Yaml {
    Yaml::Tagged(Box::new(TaggedValue {
        tag: Tag::new(tag),
        value,
    }))
}

/// The text of `!Sub "text"` when it has no variables left.
fn literal_sub(value: &Yaml) -> Option<String> {
    match intrinsic(value)? {
        (tag, Yaml::String(text)) if tag == "Sub" && !text.contains("${") => Some(text.clone()),
        _ => None,
    }
}

impl Loop<'_> {
    fn replace(&self, text: &str) -> String {
        text.replace(&format!("${{{}}}", self.identifier), self.item)
            .replace(&format!("&{{{}}}", self.identifier), self.item)
    }

    /// As CloudFormation does: `${Identifier}` is replaced in keys (by the caller) and in `Fn::Sub` text only,
    /// `!Ref Identifier` everywhere.
    fn substitute(&self, value: Yaml) -> Yaml {
        let substituted = match value {
            Yaml::Sequence(items) => {
                Yaml::Sequence(items.into_iter().map(|v| self.substitute(v)).collect())
            }
            Yaml::Mapping(map) => {
                let is_sub = map.len() == 1 && map.contains_key("Fn::Sub");
                Yaml::Mapping(
                    map.into_iter()
                        .map(|(k, v)| {
                            let v = if is_sub {
                                self.sub_text(v)
                            } else {
                                self.substitute(v)
                            };
                            (k, v)
                        })
                        .collect(),
                )
            }
            Yaml::Tagged(inner) => {
                let TaggedValue { tag, value } = *inner;
                let value = if tag == "Sub" {
                    self.sub_text(value)
                } else {
                    self.substitute(value)
                };
                Yaml::Tagged(Box::new(TaggedValue { tag, value }))
            }
            other => return other,
        };
        self.resolve(substituted)
    }

    /// The argument of `Fn::Sub`: its text (alone or first of a list) gets the item, its variables are values.
    fn sub_text(&self, value: Yaml) -> Yaml {
        match value {
            Yaml::String(text) => Yaml::String(self.replace(&text)),
            Yaml::Sequence(items) => Yaml::Sequence(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| match (i, v) {
                        (0, Yaml::String(text)) => Yaml::String(self.replace(&text)),
                        (_, v) => self.substitute(v),
                    })
                    .collect(),
            ),
            other => self.substitute(other),
        }
    }

    fn resolve(&self, value: Yaml) -> Yaml {
        let Some((tag, inner)) = intrinsic(&value) else {
            return value;
        };
        let resolved = match tag.as_str() {
            "Ref" if inner.as_str() == Some(self.identifier) => {
                Some(Yaml::String(self.item.to_owned()))
            }
            "Ref" => literal_sub(inner).map(|name| tagged("Ref", Yaml::String(name))),
            "GetAtt" => match inner.as_sequence().map(Vec::as_slice) {
                Some([id, attribute]) => {
                    literal_sub(id)
                        .zip(attribute.as_str())
                        .map(|(id, attribute)| {
                            tagged("GetAtt", Yaml::String(format!("{id}.{attribute}")))
                        })
                }
                _ => None,
            },
            "FindInMap" => match inner.as_sequence().map(Vec::as_slice) {
                Some([map, key, attribute]) => self
                    .mappings
                    .get(map.as_str().unwrap_or_default())
                    .and_then(|m| m.get(key.as_str()?))
                    .and_then(|m| m.get(attribute.as_str()?))
                    .cloned(),
                _ => None,
            },
            "Select" => match inner.as_sequence().map(Vec::as_slice) {
                Some([index, Yaml::Sequence(list)]) => index
                    .as_str()
                    .and_then(|i| i.parse::<usize>().ok())
                    .or_else(|| index.as_u64().and_then(|i| usize::try_from(i).ok()))
                    .and_then(|i| list.get(i))
                    .cloned(),
                _ => None,
            },
            "Join" => match inner.as_sequence().map(Vec::as_slice) {
                Some([Yaml::String(separator), Yaml::Sequence(items)]) => items
                    .iter()
                    .map(|item| item.as_str())
                    .collect::<Option<Vec<_>>>()
                    .map(|items| Yaml::String(items.join(separator))),
                _ => None,
            },
            "Sub" => match inner.as_sequence().map(Vec::as_slice) {
                Some([Yaml::String(text), Yaml::Mapping(variables)]) => {
                    let mut text = text.clone();
                    let mut literal = true;
                    for (name, value) in variables {
                        match (name.as_str(), value.as_str()) {
                            (Some(name), Some(value)) => {
                                text = text.replace(&format!("${{{name}}}"), value);
                            }
                            _ => literal = false,
                        }
                    }
                    literal.then(|| {
                        if text.contains("${") {
                            tagged("Sub", Yaml::String(text))
                        } else {
                            Yaml::String(text)
                        }
                    })
                }
                _ => None,
            },
            _ => None,
        };
        resolved.unwrap_or(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOOPED: &str = r#"
Mappings:
  Things:
    Alpha: {Path: alpha, Index: "1"}
    Beta: {Path: beta, Index: "0"}
Resources:
  Plain: {Type: AWS::SNS::Topic}
  Fn::ForEach::Things:
    - Thing
    - [Alpha, Beta]
    - ${Thing}Queue:
        Type: AWS::SQS::Queue
        Properties:
          Name: !Ref Thing
          Path: !Sub ["/x/${Path}", {Path: !FindInMap [Things, !Ref Thing, Path]}]
          Folder: !Join ["", [dir/, !FindInMap [Things, !Ref Thing, Path]]]
          Logs: {Ref: !Sub "${Thing}Logs"}
          Arn: !GetAtt [!Sub "${Thing}Logs", Arn]
          Pick: !Select [!FindInMap [Things, !Ref Thing, Index], [first, second]]
          Target: !Sub integrations/${${Thing}Integration}
          Literal: ${Thing} stays
"#;

    #[test]
    fn a_loop_becomes_one_resource_per_item() {
        let template = expand(serde_norway::from_str(LOOPED).expect("the example parses"));
        let resources = template
            .get("Resources")
            .and_then(Yaml::as_mapping)
            .expect("Resources");
        let ids: Vec<&str> = resources.keys().filter_map(Yaml::as_str).collect();
        assert_eq!(ids, ["Plain", "AlphaQueue", "BetaQueue"]);
        let alpha = &resources["AlphaQueue"]["Properties"];
        assert_eq!(alpha["Name"], Yaml::String("Alpha".into()));
        assert_eq!(alpha["Path"], Yaml::String("/x/alpha".into()));
        assert_eq!(alpha["Pick"], Yaml::String("second".into()));
        assert_eq!(alpha["Folder"], Yaml::String("dir/alpha".into()));
        assert_eq!(
            super::super::referenced(&alpha["Logs"]),
            Some(("Ref".into(), "AlphaLogs".into()))
        );
        assert_eq!(
            super::super::referenced(&alpha["Arn"]),
            Some(("GetAtt.Arn".into(), "AlphaLogs".into()))
        );
        assert_eq!(
            intrinsic(&alpha["Target"]).map(|(tag, v)| (tag, v.clone())),
            Some((
                "Sub".into(),
                Yaml::String("integrations/${AlphaIntegration}".into())
            ))
        );
        assert_eq!(alpha["Literal"], Yaml::String("${Thing} stays".into()));
        let beta = &resources["BetaQueue"]["Properties"];
        assert_eq!(beta["Pick"], Yaml::String("first".into()));
    }

    #[test]
    #[should_panic(expected = "the collection is not a literal list")]
    fn a_loop_over_a_parameter_is_refused() {
        expand(
            serde_norway::from_str("Resources:\n  Fn::ForEach::X: [T, !Ref Names, {}]\n")
                .expect("parses"),
        );
    }
}
