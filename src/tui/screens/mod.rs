//! The screens, one type per file. A new screen is a new file here plus one line: in
//! `object_screen` for a view of one object (opened by a key from a list row or another of
//! the object's screens), or where the screen that opens it pushes it.

pub mod containers;
pub mod describe;
pub mod diff;
pub mod events;
pub mod explain;
pub mod forwards;
pub mod lint;
pub mod list;
pub mod logs;
pub mod object;
pub mod plugin_output;
pub mod pulse;
pub mod xray;
pub mod yaml;

use super::screen::{Cx, Nav, Screen, Step};
use super::session::Followed;
use crate::cluster::discovery::ResourceInfo;
use crate::cluster::object::ObjectRef;
use crate::config::keys::KeyAction;

/// The screens of one object, by the key that opens them. They share one follow of the
/// object (`id`), so switching between them keeps what was already received.
fn object_screen(
    action: KeyAction,
    id: u64,
    target: &ObjectRef,
    cx: &mut Cx,
) -> Option<Box<dyn Screen>> {
    let name = target.name.as_str();
    Some(match action {
        KeyAction::Enter => Box::new(containers::ContainersScreen::new(id, name)),
        KeyAction::Yaml => Box::new(object::TextScreen::new(id, name, yaml::Yaml::default())),
        KeyAction::Describe => Box::new(object::TextScreen::new(id, name, describe::Describe)),
        KeyAction::Events => Box::new(object::TextScreen::new(id, name, events::Events)),
        KeyAction::Diff => Box::new(diff::DiffScreen::new(id, target, cx)),
        _ => return None,
    })
}

/// Opens the screen `action` names for `target`, following the object unless it is followed
/// already; `nav` says whether it goes on top (from a list) or in place (from another of the
/// object's screens).
pub fn open_object(
    action: KeyAction,
    target: ObjectRef,
    cx: &mut Cx,
    nav: fn(Box<dyn Screen>) -> Nav,
) -> Step {
    if !target.resource.can("get") && !target.resource.can("watch") {
        cx.error(format!(
            "{} cannot be read one by one",
            target.resource.full_name()
        ));
        return Step::nothing();
    }
    let mut effects = Vec::new();
    let id = match &cx.data.followed {
        Some(f) if f.target == target => f.id,
        _ => {
            let id = cx.data.take_id();
            cx.data.followed = Some(Followed::new(id, target.clone()));
            effects.push(super::action::Effect::Follow(id, Box::new(target.clone())));
            id
        }
    };
    match object_screen(action, id, &target, cx) {
        Some(screen) => Step::with(effects, nav(screen)),
        None => Step::effects(effects),
    }
}

/// The resource of a kind named by a diagnosis or a finding: the built-in one when a CRD
/// shares the name.
pub fn resource_of<'a>(kind: &str, resources: &'a [ResourceInfo]) -> Option<&'a ResourceInfo> {
    let builtin = ["", "apps", "batch", "networking.k8s.io", "policy"];
    resources
        .iter()
        .filter(|r| r.kind == kind)
        .min_by_key(|r| !builtin.contains(&r.group.as_str()))
}

/// An object named by kind, namespace and name, as discovery serves it.
pub fn object_ref(
    kind: &str,
    namespace: &str,
    name: &str,
    resources: &[ResourceInfo],
) -> Option<ObjectRef> {
    let resource = resource_of(kind, resources)?.clone();
    Some(ObjectRef {
        namespace: resource.namespaced.then(|| namespace.to_string()),
        name: name.to_string(),
        resource,
    })
}
