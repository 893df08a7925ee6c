//! `SwissMap` as the unsynchronised backend `swissmap` (`maps::plain`: the
//! composite operations as a Go programmer writes them over a plain map).

use super::SwissMap;

crate::maps::plain::plain_go_map!(SwissMap, crate::sync::SWISS_CLASSES);
