//! Which containers of which pods a log query follows: the pod-name regex, the container
//! filters, the container state and the init/ephemeral switches. Pure, so every rule is tested
//! without a cluster.

use regex::Regex;
use serde_json::Value;

/// One container instance whose log is followed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    pub namespace: String,
    pub pod: String,
    pub container: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    Running,
    Waiting,
    Terminated,
    All,
}

impl std::str::FromStr for ContainerState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "running" => Ok(ContainerState::Running),
            "waiting" => Ok(ContainerState::Waiting),
            "terminated" => Ok(ContainerState::Terminated),
            "all" => Ok(ContainerState::All),
            other => Err(format!(
                "{other:?} is not one of running, waiting, terminated, all"
            )),
        }
    }
}

/// Compiles a user's regex, naming the flag it came from when it does not compile.
pub fn compile(flag: &str, pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| format!("invalid regex for {flag} {pattern:?}: {e}"))
}

#[derive(Debug, Clone)]
pub struct Selection {
    pub pod: Regex,
    pub exclude_pod: Vec<Regex>,
    pub container: Regex,
    pub exclude_container: Vec<Regex>,
    pub states: Vec<ContainerState>,
    pub init_containers: bool,
    pub ephemeral_containers: bool,
}

impl Selection {
    pub fn matches_pod(&self, name: &str) -> bool {
        self.pod.is_match(name) && !self.exclude_pod.iter().any(|r| r.is_match(name))
    }

    fn matches_container(&self, name: &str) -> bool {
        self.container.is_match(name) && !self.exclude_container.iter().any(|r| r.is_match(name))
    }

    fn state_wanted(&self, status: &Value) -> bool {
        let state = &status["state"];
        // A container with no status yet has not started: it counts as waiting.
        let now = if state["running"].is_object() {
            ContainerState::Running
        } else if state["terminated"].is_object() {
            ContainerState::Terminated
        } else {
            ContainerState::Waiting
        };
        self.states
            .iter()
            .any(|s| *s == ContainerState::All || *s == now)
    }

    /// The containers of a pod this selection follows, in the pod's order (init containers
    /// first, then regular, then ephemeral).
    pub fn targets(&self, pod: &Value) -> Vec<Target> {
        let name = pod["metadata"]["name"].as_str().unwrap_or_default();
        if !self.matches_pod(name) {
            return Vec::new();
        }
        let namespace = pod["metadata"]["namespace"].as_str().unwrap_or_default();
        let mut groups = Vec::new();
        if self.init_containers {
            groups.push(("initContainers", "initContainerStatuses"));
        }
        groups.push(("containers", "containerStatuses"));
        if self.ephemeral_containers {
            groups.push(("ephemeralContainers", "ephemeralContainerStatuses"));
        }
        let mut out = Vec::new();
        for (spec, statuses) in groups {
            for c in pod["spec"][spec].as_array().into_iter().flatten() {
                let cname = c["name"].as_str().unwrap_or_default();
                let status = pod["status"][statuses]
                    .as_array()
                    .and_then(|s| s.iter().find(|s| s["name"] == cname))
                    .cloned()
                    .unwrap_or(Value::Null);
                if self.matches_container(cname) && self.state_wanted(&status) {
                    out.push(Target {
                        namespace: namespace.to_string(),
                        pod: name.to_string(),
                        container: cname.to_string(),
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn selection() -> Selection {
        Selection {
            pod: compile("QUERY", "web").unwrap(),
            exclude_pod: vec![compile("--exclude-pod", "canary").unwrap()],
            container: compile("--container", ".*").unwrap(),
            exclude_container: vec![compile("--exclude-container", "^istio").unwrap()],
            states: vec![ContainerState::Running],
            init_containers: false,
            ephemeral_containers: false,
        }
    }

    fn pod(name: &str) -> Value {
        json!({"metadata": {"name": name, "namespace": "shop"},
            "spec": {"initContainers": [{"name": "migrate"}],
                     "containers": [{"name": "nginx"}, {"name": "istio-proxy"}, {"name": "late"}],
                     "ephemeralContainers": [{"name": "debugger"}]},
            "status": {
                "initContainerStatuses": [{"name": "migrate", "state": {"terminated": {"exitCode": 0}}}],
                "containerStatuses": [
                    {"name": "nginx", "state": {"running": {}}},
                    {"name": "istio-proxy", "state": {"running": {}}},
                    {"name": "late", "state": {"waiting": {"reason": "ContainerCreating"}}}],
                "ephemeralContainerStatuses": [{"name": "debugger", "state": {"running": {}}}]}})
    }

    fn names(targets: &[Target]) -> Vec<&str> {
        targets.iter().map(|t| t.container.as_str()).collect()
    }

    #[test]
    fn pod_regex_is_unanchored_and_exclusions_win() {
        let s = selection();
        assert!(s.matches_pod("shop-web-1"));
        assert!(!s.matches_pod("web-canary-1"));
        assert!(!s.matches_pod("api-1"));
        assert!(s.targets(&pod("api-1")).is_empty());
    }

    #[test]
    fn containers_by_regex_state_and_kind() {
        let mut s = selection();
        assert_eq!(names(&s.targets(&pod("web-1"))), ["nginx"]);
        s.states = vec![ContainerState::All];
        assert_eq!(names(&s.targets(&pod("web-1"))), ["nginx", "late"]);
        s.init_containers = true;
        s.ephemeral_containers = true;
        assert_eq!(
            names(&s.targets(&pod("web-1"))),
            ["migrate", "nginx", "late", "debugger"]
        );
        s.states = vec![ContainerState::Waiting, ContainerState::Terminated];
        assert_eq!(names(&s.targets(&pod("web-1"))), ["migrate", "late"]);
    }

    #[test]
    fn a_bad_regex_names_its_flag() {
        let err = compile("--exclude-container", "a(").unwrap_err();
        assert!(
            err.starts_with("invalid regex for --exclude-container \"a(\""),
            "{err}"
        );
    }
}
