//! The one-command deploy (`make deploy`: `infra/deploy.sh`, `infra/build.sh`, `samconfig.toml`): every template
//! parameter it does not ask for has a default, the values it asks for are the template's parameters, SAM gets the
//! flags the template needs, and each missing prerequisite is named with how to install it.

use std::collections::BTreeMap;
use std::process::Command;

use super::{read, root, template};

/// The parameters `make deploy` asks for (no safe default to choose for the operator), each with the environment
/// variable that gives it unattended. Every other parameter must have a default.
const ASKED: [(&str, &str); 3] = [
    ("OktaSecretArn", "OKTA_SECRET_ARN"),
    ("AlarmEmail", "ALARM_EMAIL"),
    ("ProtectedGroups", "PROTECTED_GROUPS"),
];

/// Parameters that have neither a `Default` nor a place in `asked`.
fn parameters_without_a_default(template: &serde_norway::Value, asked: &[&str]) -> Vec<String> {
    let Some(parameters) = template["Parameters"].as_mapping() else {
        return vec!["(no Parameters)".to_owned()];
    };
    parameters
        .iter()
        .filter(|(_, parameter)| parameter.get("Default").is_none())
        .filter_map(|(name, _)| name.as_str())
        .filter(|name| !asked.contains(name))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_parameter_not_asked_for_has_a_default() {
    let template = template();
    let asked: Vec<&str> = ASKED.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        parameters_without_a_default(&template, &asked),
        Vec::<String>::new()
    );
    for name in asked {
        assert!(
            template["Parameters"].get(name).is_some(),
            "make deploy asks for {name}, which the template must declare"
        );
    }
    let broken: serde_norway::Value = serde_norway::from_str(
        "Parameters:\n  Fine:\n    Default: x\n  NoDefault:\n    Type: String\n",
    )
    .unwrap();
    assert_eq!(
        parameters_without_a_default(&broken, &[]),
        ["NoDefault".to_owned()]
    );
    assert!(parameters_without_a_default(&broken, &["NoDefault"]).is_empty());
}

#[test]
fn deploy_passes_what_it_asks_for_to_the_template() {
    let script = read("infra/deploy.sh");
    for (parameter, variable) in ASKED {
        assert!(
            script.contains(&format!(
                "[ -n \"${{{variable}+set}}\" ] && overrides+=(\"{parameter}=${{{variable}}}\")"
            )),
            "infra/deploy.sh passes {variable} as {parameter}"
        );
    }
}

/// `[section]` → key → value, for the flat TOML SAM reads.
fn sections(toml: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut current = String::new();
    for line in toml.lines().map(str::trim) {
        if let Some(name) = line
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            current = name.to_owned();
        } else if let Some((key, value)) = line.split_once('=')
            && !line.starts_with('#')
        {
            sections.entry(current.clone()).or_default().insert(
                key.trim().to_owned(),
                value.trim().trim_matches('"').to_owned(),
            );
        }
    }
    sections
}

#[test]
fn samconfig_gives_sam_the_flags_the_template_needs() {
    let config = sections(&read("samconfig.toml"));
    let build = &config["default.build.parameters"];
    assert_eq!(
        build["beta_features"], "true",
        "rust-cargolambda is a beta build method"
    );
    assert_eq!(build["language_extensions"], "true", "Fn::ForEach");
    let deploy = &config["default.deploy.parameters"];
    assert_eq!(deploy["language_extensions"], "true", "Fn::ForEach");
    let capabilities: Vec<&str> = deploy["capabilities"].split(' ').collect();
    for needed in ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"] {
        assert!(capabilities.contains(&needed), "{needed}");
    }
    assert_eq!(
        deploy["confirm_changeset"], "true",
        "a person sees the change set first"
    );
}

/// A copy of the deploy script in a folder of its own (no `.venv/` beside it), run with a PATH that has only the
/// basic tools plus `extra`: what it says, and its exit code.
fn deploy_check(extra: &[(&str, &str)], region: bool) -> (String, i32) {
    let dir = std::env::temp_dir().join(format!(
        "deploy-check-{}-{}",
        std::process::id(),
        extra.len() * 2 + usize::from(region)
    ));
    let bin = dir.join("bin");
    std::fs::create_dir_all(dir.join("infra")).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(root().join("infra/deploy.sh"), dir.join("infra/deploy.sh")).unwrap();
    for tool in ["bash", "sort", "head", "grep", "printf"] {
        for prefix in ["/usr/bin", "/bin"] {
            let path = std::path::Path::new(prefix).join(tool);
            if path.exists() && !bin.join(tool).exists() {
                std::os::unix::fs::symlink(&path, bin.join(tool)).unwrap();
            }
        }
    }
    for (name, body) in extra {
        let path = bin.join(name);
        std::fs::write(&path, format!("#!/bin/bash\n{body}\n")).unwrap();
        let mut permissions = std::fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&path, permissions).unwrap();
    }
    let mut command = Command::new(bin.join("bash"));
    command
        .arg(dir.join("infra/deploy.sh"))
        .env_clear()
        .env("PATH", &bin)
        .env("DEPLOY_CHECK_ONLY", "1");
    if region {
        command.env("AWS_REGION", "eu-west-1");
    }
    let output = command.output().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    (
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
        output.status.code().unwrap_or(-1),
    )
}

#[test]
fn make_deploy_names_each_missing_prerequisite() {
    let (said, code) = deploy_check(&[], false);
    assert_eq!(code, 1, "{said}");
    for expected in [
        "AWS SAM CLI is missing: install it with 'pip install \"aws-sam-cli>=1.160.0\"'",
        "cargo-lambda is missing: install it with 'pip install cargo-lambda'",
        "zig is missing",
        "cargo is missing",
        "no AWS region",
    ] {
        assert!(said.contains(expected), "{expected:?} in:\n{said}");
    }

    let old_sam = ("sam", "echo 'SAM CLI, version 1.150.0'");
    let (said, code) = deploy_check(&[old_sam], true);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("AWS SAM CLI 1.150.0 is too old"), "{said}");
    assert!(!said.contains("no AWS region"), "{said}");

    let ready = [
        ("sam", "echo 'SAM CLI, version 1.170.0'"),
        ("cargo-lambda", "true"),
        ("zig", "true"),
        ("cargo", "true"),
    ];
    let (said, code) = deploy_check(&ready, true);
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("prerequisites OK (SAM CLI 1.170.0"), "{said}");
}
