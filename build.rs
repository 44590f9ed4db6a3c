// Migrations are embedded at compile time (`sqlx::migrate!`) and so are the
// message catalogues: rebuild when either changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=locales");
}
