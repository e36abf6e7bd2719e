//! Input errors: always with a file, a line and, for field errors, the
//! field's path.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// Could not read the file.
    Io,
    /// Not valid YAML or JSON.
    Syntax,
    /// A field has the wrong type or an impossible value.
    Field,
    /// A limit from [`crate::Limits`] was exceeded.
    Limit,
    /// The file is a Helm (Go) template, not a manifest.
    Template,
}

/// An error in one input, pointing at where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub kind: ErrorKind,
    pub file: String,
    /// 1-based; 0 when the error is about the whole file.
    pub line: usize,
    /// 1-based; 0 when unknown.
    pub column: usize,
    /// The field path (`spec.template.spec.containers[0].securityContext`)
    /// for field errors.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        write!(f, ": ")?;
        match self.field.as_deref() {
            Some("") => write!(f, "document: ")?,
            Some(field) => write!(f, "{field}: ")?,
            None => {}
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for InputError {}

/// A field error before the file name is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub line: usize,
    pub column: usize,
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn into_input_error(self, file: &str) -> InputError {
        InputError {
            kind: ErrorKind::Field,
            file: file.to_string(),
            line: self.line,
            column: self.column,
            field: Some(self.field),
            message: self.message,
        }
    }
}
