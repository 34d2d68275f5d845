//! Column and index shapes the migrations share.

use sea_orm_migration::prelude::*;

/// An auto-incremented integer primary key.
pub fn id(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

/// A text primary key (a name or an identifier the application chooses).
pub fn text_key(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .string()
        .not_null()
        .primary_key()
        .to_owned()
}

/// A time as Unix milliseconds: compares the same way on every backend.
pub fn millis(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).big_integer().not_null().to_owned()
}

/// An index named `name` over `columns` of `table`.
pub fn index(table: impl IntoIden, name: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table.into_iden());
    for column in columns {
        index.col(Alias::new(*column));
    }
    index
}
