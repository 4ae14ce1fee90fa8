//! Widgets shared by several pages.

mod field;
mod layout;
mod loading;
mod package;
mod problem;
mod title;

pub(crate) use field::Field;
pub(crate) use layout::{MeResource, PublicLayout, SignedInLayout};
pub(crate) use loading::Loading;
pub(crate) use package::{Grants, PolicySummary};
pub(crate) use problem::ProblemPanel;
pub(crate) use title::set_page_title;
