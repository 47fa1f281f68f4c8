//! The one resolver of `KIND/NAME`, for every command and the TUI: the kind as kubectl takes
//! it (plural, singular, short name, kind, `plural.group`, an alias), resolved against what
//! discovery found, with close matches when nothing fits; the namespace from `-n` or the
//! context's, for namespaced kinds only.

use super::discovery::{ResourceInfo, resolve};
use super::object::ObjectRef;

/// Resolves `KIND/NAME` to the object it names.
pub fn resolve_target(
    text: &str,
    resources: &[ResourceInfo],
    aliases: &[(String, String)],
    namespace: &str,
) -> Result<ObjectRef, String> {
    let Some((kind, name)) = text
        .split_once('/')
        .filter(|(k, n)| !k.is_empty() && !n.is_empty())
    else {
        return Err(format!(
            "{text:?} is not KIND/NAME (for example deploy/web)"
        ));
    };
    let resource = resolve(&kind.to_lowercase(), resources, aliases)?.clone();
    Ok(ObjectRef {
        namespace: resource.namespaced.then(|| namespace.to_string()),
        name: name.to_string(),
        resource,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_as_kubectl_takes_them_and_namespaces_only_where_they_belong() {
        let resources = vec![
            ResourceInfo::example("apps", "deployments", "Deployment", &["deploy"]),
            ResourceInfo {
                namespaced: false,
                ..ResourceInfo::example("", "nodes", "Node", &["no"])
            },
        ];
        let d = resolve_target("deploy/web", &resources, &[], "shop").unwrap();
        assert_eq!(
            (
                d.resource.plural.as_str(),
                d.namespace.as_deref(),
                d.name.as_str()
            ),
            ("deployments", Some("shop"), "web")
        );
        let n = resolve_target("Node/worker-1", &resources, &[], "shop").unwrap();
        assert_eq!(n.namespace, None);
        assert!(resolve_target("web", &resources, &[], "shop").is_err());
        assert!(
            resolve_target("deploymentz/web", &resources, &[], "shop")
                .unwrap_err()
                .contains("did you mean deployments")
        );
    }
}
