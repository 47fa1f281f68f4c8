//! Talking to the cluster: connecting, discovery, the watch layer, the row store, object
//! followers, typed errors and the one retry policy. No UI code here.

pub mod backoff;
pub mod connect;
pub mod discovery;
pub mod errors;
pub mod figures;
pub mod health;
pub mod kinds;
pub mod metrics_list;
pub mod object;
pub mod quantity;
pub mod rows;
pub mod secrets;
pub mod slim_pod;
pub mod store;
pub mod target;
pub mod usage;
pub mod watch;
