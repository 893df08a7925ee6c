//! Go's classic runtime map.
