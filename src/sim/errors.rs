//! API errors as `Status` objects with the code and reason a real API server gives.

use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Value,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: Value::Null,
        }
    }

    pub fn not_found(group: &str, plural: &str, name: &str) -> Self {
        let resource = if group.is_empty() {
            plural.to_string()
        } else {
            format!("{plural}.{group}")
        };
        ApiError {
            details: json!({"name": name, "group": group, "kind": plural}),
            ..Self::new(404, "NotFound", format!("{resource} \"{name}\" not found"))
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub fn conflict(group: &str, plural: &str, name: &str) -> Self {
        let resource = if group.is_empty() {
            plural.to_string()
        } else {
            format!("{plural}.{group}")
        };
        ApiError {
            details: json!({"name": name, "group": group, "kind": plural}),
            ..Self::new(
                409,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on {resource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
                ),
            )
        }
    }

    pub fn already_exists(group: &str, plural: &str, name: &str) -> Self {
        let resource = if group.is_empty() {
            plural.to_string()
        } else {
            format!("{plural}.{group}")
        };
        ApiError {
            details: json!({"name": name, "group": group, "kind": plural}),
            ..Self::new(
                409,
                "AlreadyExists",
                format!("{resource} \"{name}\" already exists"),
            )
        }
    }

    pub fn invalid(kind: &str, name: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError {
            details: json!({"name": name, "kind": kind, "causes": [{"reason": "FieldValueInvalid", "message": message}]}),
            ..Self::new(
                422,
                "Invalid",
                format!("{kind} \"{name}\" is invalid: {message}"),
            )
        }
    }

    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    pub fn status_json(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if !self.details.is_null() {
            status["details"] = self.details.clone();
        }
        status
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.reason, self.message)
    }
}

impl std::error::Error for ApiError {}
