//! User roles. The admin trio (system, security and audit administrators)
//! follows the separation-of-duties requirement of MLPS (等保).

use super::choice::choice_enum;

choice_enum! {
    /// What a user account may do.
    pub enum Role: "role" {
        /// 系统管理员
        Admin => "admin",
        /// 安全管理员
        Security => "security",
        /// 审计管理员
        Auditor => "auditor",
        /// 工委工作人员
        Staff => "staff",
        /// 政协委员
        Member => "member",
        /// 承办单位经办人
        Department => "department",
    }
}

impl Role {
    /// System, security or audit administrator.
    pub fn is_admin_trio(&self) -> bool {
        matches!(self, Self::Admin | Self::Security | Self::Auditor)
    }

    /// The account must be attached to an organisation.
    pub fn needs_org(&self) -> bool {
        matches!(self, Self::Staff)
    }

    /// The account must be linked to a committee member record.
    pub fn needs_member(&self) -> bool {
        matches!(self, Self::Member)
    }

    /// The account must be linked to a handling department.
    pub fn needs_department(&self) -> bool {
        matches!(self, Self::Department)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        let ids: Vec<&str> = Role::ALL.iter().map(Role::as_str).collect();
        assert_eq!(
            ids,
            [
                "admin",
                "security",
                "auditor",
                "staff",
                "member",
                "department"
            ]
        );
        for r in Role::ALL {
            assert_eq!(Role::parse("role", r.as_str()).unwrap(), r);
            assert_eq!(r.label_key(), format!("label.role.{}", r.as_str()));
        }
        assert_eq!(Role::parse("role", "").unwrap_err().code, "required");
        assert_eq!(
            Role::parse("role", "root").unwrap_err().code,
            "invalid_choice"
        );
    }

    #[test]
    fn flags() {
        let trio: Vec<Role> = Role::ALL.into_iter().filter(Role::is_admin_trio).collect();
        assert_eq!(trio, [Role::Admin, Role::Security, Role::Auditor]);
        let org: Vec<Role> = Role::ALL.into_iter().filter(Role::needs_org).collect();
        assert_eq!(org, [Role::Staff]);
        let member: Vec<Role> = Role::ALL.into_iter().filter(Role::needs_member).collect();
        assert_eq!(member, [Role::Member]);
        let dept: Vec<Role> = Role::ALL
            .into_iter()
            .filter(Role::needs_department)
            .collect();
        assert_eq!(dept, [Role::Department]);
    }
}
