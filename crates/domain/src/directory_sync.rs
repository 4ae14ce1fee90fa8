//! Directory sync from LDAP / Active Directory: what a sync changes, decided from what the
//! directory server holds and what Entrada holds. The server reads both and applies the
//! decisions; the rules live here.
//!
//! - People are keyed by the directory's stable id (`entryUUID`, or AD's `objectGUID`),
//!   so a rename or a move keeps the person. Entries without an e-mail address are skipped:
//!   Entrada signs people in and writes to them by address.
//! - Groups are flattened: a person in a group nested in another is a member of both
//!   (cycles are harmless).
//! - Memberships Entrada wrote to the directory itself (write-back of a grant) are not read
//!   back as the directory's own: they stay Entrada's, so that removal takes them back.
//! - Write-back: every membership Entrada granted in a group that came from the directory
//!   is written to the directory group, and taken back from it when Entrada's grant ends;
//!   memberships made outside Entrada are never touched.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

/// A person as the directory server holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryPerson {
    /// The directory's stable id.
    pub id: String,
    /// Distinguished name.
    pub dn: String,
    /// E-mail address, lower-case.
    pub email: String,
    /// Name shown to other people.
    pub display_name: String,
    /// Department.
    pub department: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// The manager's distinguished name.
    pub manager_dn: Option<String>,
}

/// A group as the directory server holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryGroup {
    /// The directory's stable id.
    pub id: String,
    /// Distinguished name.
    pub dn: String,
    /// Name (`cn`).
    pub name: String,
    /// Description.
    pub description: String,
    /// Distinguished names of its direct members: people and groups.
    pub member_dns: Vec<String>,
    /// Distinguished names of its owners.
    pub owner_dns: Vec<String>,
}

/// Distinguished names compare without regard to case or spaces after commas.
pub fn normalize_dn(dn: &str) -> String {
    dn.split(',')
        .map(|part| part.trim().to_lowercase())
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads an LDAP entry's person: none when it has no usable e-mail address.
pub fn person_from_entry(
    id: String,
    dn: String,
    attrs: &HashMap<String, Vec<String>>,
) -> Option<DirectoryPerson> {
    let first = |names: &[&str]| {
        names.iter().find_map(|name| {
            attrs
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .and_then(|(_, values)| values.first())
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        })
    };
    let email = first(&["mail"])?.to_lowercase();
    if !email.contains('@') || email.len() > 254 {
        return None;
    }
    let display_name = first(&["displayName", "cn"]).unwrap_or_else(|| email.clone());
    Some(DirectoryPerson {
        id,
        dn,
        email,
        display_name: display_name.chars().take(200).collect(),
        department: first(&["department", "departmentNumber"]),
        job_title: first(&["title"]),
        manager_dn: first(&["manager"]),
    })
}

/// Each group's people, with nested groups flattened: group id → the ids of the people in
/// it directly or through groups nested in it. Members that are neither a known person nor
/// a known group (outside the synced base, or skipped) are left out.
pub fn flatten_members(
    groups: &[DirectoryGroup],
    people: &[DirectoryPerson],
) -> BTreeMap<String, BTreeSet<String>> {
    let person_by_dn: HashMap<String, &str> = people
        .iter()
        .map(|person| (normalize_dn(&person.dn), person.id.as_str()))
        .collect();
    let group_by_dn: HashMap<String, usize> = groups
        .iter()
        .enumerate()
        .map(|(index, group)| (normalize_dn(&group.dn), index))
        .collect();
    let mut flattened = BTreeMap::new();
    for (start, group) in groups.iter().enumerate() {
        let mut people_in = BTreeSet::new();
        let mut seen = BTreeSet::from([start]);
        let mut to_visit = vec![start];
        while let Some(index) = to_visit.pop() {
            for member in &groups[index].member_dns {
                let member = normalize_dn(member);
                if let Some(person) = person_by_dn.get(&member) {
                    people_in.insert((*person).to_owned());
                } else if let Some(&nested) = group_by_dn.get(&member) {
                    if seen.insert(nested) {
                        to_visit.push(nested);
                    }
                }
            }
        }
        flattened.insert(group.id.clone(), people_in);
    }
    flattened
}

/// What a sync does to one group's memberships that came from the directory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MembershipChange {
    /// People to add (as the directory's).
    pub add: BTreeSet<String>,
    /// People whose directory membership goes.
    pub remove: BTreeSet<String>,
}

/// The change to one group: `in_directory` are the people the directory puts in it,
/// `held_from_directory` those Entrada holds as the directory's, and `written_by_entrada`
/// those Entrada wrote to the directory group itself (not read back as the directory's).
pub fn membership_change(
    in_directory: &BTreeSet<String>,
    held_from_directory: &BTreeSet<String>,
    written_by_entrada: &BTreeSet<String>,
) -> MembershipChange {
    let wanted: BTreeSet<&String> = in_directory.difference(written_by_entrada).collect();
    MembershipChange {
        add: wanted
            .iter()
            .filter(|person| !held_from_directory.contains(**person))
            .map(|person| (*person).clone())
            .collect(),
        remove: held_from_directory
            .iter()
            .filter(|person| !wanted.contains(person))
            .cloned()
            .collect(),
    }
}

/// What write-back does: `granted` are the (group, person) memberships Entrada grants in
/// directory groups now, `written` those it has written to the directory. Returns (to write,
/// to take back).
pub fn write_back_plan<T: Ord + Clone>(
    granted: &BTreeSet<T>,
    written: &BTreeSet<T>,
) -> (Vec<T>, Vec<T>) {
    (
        granted.difference(written).cloned().collect(),
        written.difference(granted).cloned().collect(),
    )
}

/// Whether a sync reads every person again or only those changed since the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum SyncMode {
    /// Every person's attributes are read.
    Full,
    /// Only people changed since the last sync are read (all ids are still listed, to find
    /// who left).
    Incremental,
}

impl SyncMode {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncMode::Full => "full",
            SyncMode::Incremental => "incremental",
        }
    }

    /// The mode a stored name names.
    pub fn parse(name: &str) -> Option<SyncMode> {
        match name {
            "full" => Some(SyncMode::Full),
            "incremental" => Some(SyncMode::Incremental),
            _ => None,
        }
    }
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SyncFigures {
    /// People the directory holds (with an e-mail address).
    pub people_seen: u64,
    /// Entries skipped because they have no usable e-mail address.
    pub people_skipped: u64,
    /// People new to Entrada.
    pub people_added: u64,
    /// People whose name, department, title or manager changed.
    pub people_changed: u64,
    /// People blocked because they left the directory.
    pub people_blocked: u64,
    /// People unblocked because they came back.
    pub people_unblocked: u64,
    /// Groups the directory holds.
    pub groups_seen: u64,
    /// Groups new to Entrada.
    pub groups_added: u64,
    /// Groups whose name, description, members or owners changed.
    pub groups_changed: u64,
    /// Groups that left the directory (their directory memberships went).
    pub groups_removed: u64,
    /// Memberships added from the directory.
    pub memberships_added: u64,
    /// Memberships the directory no longer gives, removed.
    pub memberships_removed: u64,
    /// Entrada's grants written to directory groups.
    pub written_back: u64,
    /// Entrada's ended grants taken back from directory groups.
    pub taken_back: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str) -> DirectoryPerson {
        DirectoryPerson {
            id: id.to_owned(),
            dn: format!("uid={id},ou=People,dc=example,dc=org"),
            email: format!("{id}@example.org"),
            display_name: id.to_owned(),
            department: None,
            job_title: None,
            manager_dn: None,
        }
    }

    fn group(id: &str, members: &[&str]) -> DirectoryGroup {
        DirectoryGroup {
            id: id.to_owned(),
            dn: format!("cn={id},ou=Groups,dc=example,dc=org"),
            name: id.to_owned(),
            description: String::new(),
            member_dns: members
                .iter()
                .map(|member| match member.strip_prefix("group:") {
                    Some(group) => format!("CN={group}, ou=Groups,dc=example,dc=org"),
                    None => format!("uid={member},ou=People,dc=example,dc=org"),
                })
                .collect(),
            owner_dns: Vec::new(),
        }
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    #[test]
    fn people_in_nested_groups_are_members_of_every_group_above_and_cycles_end() {
        let people = [person("ana"), person("ben"), person("cy")];
        let groups = [
            group("all", &["group:eng", "ana"]),
            group("eng", &["group:ops", "ben", "uid=stranger,ou=Elsewhere"]),
            group("ops", &["cy", "group:all"]),
        ];
        let flat = flatten_members(&groups, &people);
        assert_eq!(flat["all"], set(&["ana", "ben", "cy"]));
        assert_eq!(flat["eng"], set(&["ana", "ben", "cy"]));
        assert_eq!(flat["ops"], set(&["ana", "ben", "cy"]));
        let tree = [group("top", &["group:leaf"]), group("leaf", &["cy"])];
        let flat = flatten_members(&tree, &people);
        assert_eq!(flat["top"], set(&["cy"]));
        assert_eq!(flat["leaf"], set(&["cy"]));
    }

    #[test]
    fn memberships_entrada_wrote_are_not_taken_over_as_the_directorys() {
        let change = membership_change(
            &set(&["ana", "ben", "eve"]),
            &set(&["ben", "cy"]),
            &set(&["eve"]),
        );
        assert_eq!(change.add, set(&["ana"]));
        assert_eq!(change.remove, set(&["cy"]));
        // A membership Entrada wrote and that was also held as the directory's goes back to
        // being Entrada's only.
        let change = membership_change(&set(&["eve"]), &set(&["eve"]), &set(&["eve"]));
        assert_eq!(change.remove, set(&["eve"]));
    }

    #[test]
    fn write_back_writes_what_is_granted_and_takes_back_only_what_it_wrote() {
        let granted: BTreeSet<(u8, u8)> = [(1, 1), (1, 2)].into();
        let written: BTreeSet<(u8, u8)> = [(1, 2), (2, 9)].into();
        assert_eq!(
            write_back_plan(&granted, &written),
            (vec![(1, 1)], vec![(2, 9)])
        );
    }

    #[test]
    fn entries_without_an_address_are_skipped_and_attributes_are_read_in_any_case() {
        let attrs = |pairs: &[(&str, &str)]| -> HashMap<String, Vec<String>> {
            pairs
                .iter()
                .map(|(key, value)| ((*key).to_owned(), vec![(*value).to_owned()]))
                .collect()
        };
        assert_eq!(
            person_from_entry("1".into(), "uid=a".into(), &attrs(&[("cn", "A")])),
            None
        );
        assert_eq!(
            person_from_entry("1".into(), "uid=a".into(), &attrs(&[("mail", "no-at")])),
            None
        );
        let read = person_from_entry(
            "1".into(),
            "uid=a".into(),
            &attrs(&[
                ("MAIL", " Ana@Example.ORG "),
                ("cn", "Ana Cruz"),
                ("departmentNumber", "Finance"),
                ("title", "Analyst"),
                ("manager", "uid=boss,ou=People"),
            ]),
        )
        .expect("a person");
        assert_eq!(read.email, "ana@example.org");
        assert_eq!(read.display_name, "Ana Cruz");
        assert_eq!(read.department.as_deref(), Some("Finance"));
        assert_eq!(read.job_title.as_deref(), Some("Analyst"));
        assert_eq!(read.manager_dn.as_deref(), Some("uid=boss,ou=People"));
    }

    #[test]
    fn distinguished_names_compare_without_case_or_spaces() {
        assert_eq!(
            normalize_dn("CN=Eng, OU=Groups,DC=Example"),
            normalize_dn("cn=eng,ou=groups,dc=example")
        );
    }
}
