//! Working inside pods: a shell or an attach on the user's terminal, a command run with its
//! output and exit code, and port-forwards that follow a service or workload to its next ready
//! pod. Native on the API's WebSocket subresources (kube's `ws`): no kubectl needed. Used by
//! the TUI and by `kx shell` and `kx port-forward`; below them only `cluster`.

pub mod exec;
pub mod forward;
pub mod pods;
pub mod ports;
pub mod terminal;
