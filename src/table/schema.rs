//! Column definitions and the row builder every table uses.
//!
//! A table's schema is a `static` list of [`Column`]s — name, type, one
//! line of documentation — defined once in the table's module. The same
//! list builds its DataFrames ([`Rows`]), types its Parquet/CSV/NDJSON
//! export and documents it (README "Tables", generated from it by
//! `sockscope export --schema`).

use polars::prelude::*;

/// A column's type. Counts are `u64`; ports `u16`; snapshot indexes and
/// source ids `u32`; times UTC instants in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Str,
    Bool,
    U16,
    U32,
    U64,
    I32,
    F64,
    /// A UTC instant (microseconds).
    Time,
}

impl Ty {
    pub fn dtype(self) -> DataType {
        match self {
            Ty::Str => DataType::String,
            Ty::Bool => DataType::Boolean,
            Ty::U16 => DataType::UInt16,
            Ty::U32 => DataType::UInt32,
            Ty::U64 => DataType::UInt64,
            Ty::I32 => DataType::Int32,
            Ty::F64 => DataType::Float64,
            Ty::Time => DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)),
        }
    }

    /// The type's name in the documentation.
    pub fn name(self) -> &'static str {
        match self {
            Ty::Str => "string",
            Ty::Bool => "bool",
            Ty::U16 => "u16",
            Ty::U32 => "u32",
            Ty::U64 => "u64",
            Ty::I32 => "i32",
            Ty::F64 => "f64",
            Ty::Time => "timestamp (UTC, µs)",
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub ty: Ty,
    /// Nulls allowed (otherwise every row has a value).
    pub nullable: bool,
    pub doc: &'static str,
}

/// A column that always has a value.
pub const fn col(name: &'static str, ty: Ty, doc: &'static str) -> Column {
    Column { name, ty, nullable: false, doc }
}

/// A column that may be null.
pub const fn opt(name: &'static str, ty: Ty, doc: &'static str) -> Column {
    Column { name, ty, nullable: true, doc }
}

/// A table: its name (the export directory), what one row is, its columns.
#[derive(Debug)]
pub struct Schema {
    pub name: &'static str,
    /// What one row is.
    pub row: &'static str,
    pub columns: &'static [Column],
}

impl Schema {
    /// The polars schema.
    pub fn polars(&self) -> polars::prelude::Schema {
        self.columns.iter().map(|c| Field::new(c.name.into(), c.ty.dtype())).collect()
    }

    pub fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// An empty frame with this schema.
    pub fn empty(&self) -> DataFrame {
        DataFrame::empty_with_schema(&self.polars())
    }
}

enum Buf {
    Str(StringChunkedBuilder),
    Bool(BooleanChunkedBuilder),
    U16(PrimitiveChunkedBuilder<UInt16Type>),
    U32(PrimitiveChunkedBuilder<UInt32Type>),
    U64(PrimitiveChunkedBuilder<UInt64Type>),
    I32(PrimitiveChunkedBuilder<Int32Type>),
    F64(PrimitiveChunkedBuilder<Float64Type>),
    Time(PrimitiveChunkedBuilder<Int64Type>),
}

impl Buf {
    fn new(c: &Column, cap: usize) -> Buf {
        let name = PlSmallStr::from_static(c.name);
        match c.ty {
            Ty::Str => Buf::Str(StringChunkedBuilder::new(name, cap)),
            Ty::Bool => Buf::Bool(BooleanChunkedBuilder::new(name, cap)),
            Ty::U16 => Buf::U16(PrimitiveChunkedBuilder::new(name, cap)),
            Ty::U32 => Buf::U32(PrimitiveChunkedBuilder::new(name, cap)),
            Ty::U64 => Buf::U64(PrimitiveChunkedBuilder::new(name, cap)),
            Ty::I32 => Buf::I32(PrimitiveChunkedBuilder::new(name, cap)),
            Ty::F64 => Buf::F64(PrimitiveChunkedBuilder::new(name, cap)),
            Ty::Time => Buf::Time(PrimitiveChunkedBuilder::new(name, cap)),
        }
    }

    fn finish(self) -> Column_ {
        match self {
            Buf::Str(b) => b.finish().into_column(),
            Buf::Bool(b) => b.finish().into_column(),
            Buf::U16(b) => b.finish().into_column(),
            Buf::U32(b) => b.finish().into_column(),
            Buf::U64(b) => b.finish().into_column(),
            Buf::I32(b) => b.finish().into_column(),
            Buf::F64(b) => b.finish().into_column(),
            Buf::Time(b) => {
                b.finish().into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)).into_column()
            }
        }
    }
}

type Column_ = polars::prelude::Column;

/// Rows of one table being built, a column builder per column. Values are
/// appended in column order through [`Rows::row`]; a row with a value of
/// the wrong type, too many values or too few is a bug and panics.
pub struct Rows {
    schema: &'static Schema,
    bufs: Vec<Buf>,
    len: usize,
}

impl Rows {
    pub fn new(schema: &'static Schema) -> Rows {
        Rows::with_capacity(schema, 0)
    }

    pub fn with_capacity(schema: &'static Schema, cap: usize) -> Rows {
        Rows { schema, bufs: schema.columns.iter().map(|c| Buf::new(c, cap)).collect(), len: 0 }
    }

    pub fn schema(&self) -> &'static Schema {
        self.schema
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Starts a row; every column must be given a value, in order.
    pub fn row(&mut self) -> Row<'_> {
        Row { rows: self, at: 0 }
    }

    /// The rows as a DataFrame; the builder starts over, empty.
    pub fn take(&mut self) -> DataFrame {
        let bufs =
            std::mem::replace(&mut self.bufs, self.schema.columns.iter().map(|c| Buf::new(c, 0)).collect());
        let height = std::mem::take(&mut self.len);
        let cols: Vec<Column_> = bufs.into_iter().map(Buf::finish).collect();
        // Every column has `height` values (Row checks it): this cannot fail.
        DataFrame::new(height, cols).unwrap_or_else(|_| self.schema.empty())
    }
}

/// One row being appended.
pub struct Row<'r> {
    rows: &'r mut Rows,
    at: usize,
}

macro_rules! setter {
    ($name:ident, $opt:ident, $variant:ident, $t:ty) => {
        #[inline]
        pub fn $name(mut self, v: $t) -> Self {
            match self.next() {
                Buf::$variant(b) => b.append_value(v),
                _ => self.mismatch(stringify!($variant)),
            }
            self
        }
        #[inline]
        pub fn $opt(mut self, v: Option<$t>) -> Self {
            match self.next() {
                Buf::$variant(b) => b.append_option(v),
                _ => self.mismatch(stringify!($variant)),
            }
            self
        }
    };
}

impl Row<'_> {
    #[inline]
    fn next(&mut self) -> &mut Buf {
        let i = self.at;
        self.at += 1;
        &mut self.rows.bufs[i]
    }

    /// A value of the wrong type: a bug in a table's `fill`, never an
    /// input problem (a panic here is contained to the input being read).
    #[cold]
    fn mismatch(&self, got: &str) {
        panic!(
            "{}.{}: a {got} value for a {:?} column",
            self.rows.schema.name,
            self.rows.schema.columns[self.at - 1].name,
            self.rows.schema.columns[self.at - 1].ty
        );
    }

    setter!(u16, opt_u16, U16, u16);
    setter!(u32, opt_u32, U32, u32);
    setter!(u64, opt_u64, U64, u64);
    setter!(i32, opt_i32, I32, i32);
    setter!(f64, opt_f64, F64, f64);
    setter!(bool, opt_bool, Bool, bool);

    #[inline]
    pub fn str(mut self, v: &str) -> Self {
        match self.next() {
            Buf::Str(b) => b.append_value(v),
            _ => self.mismatch("Str"),
        }
        self
    }

    #[inline]
    pub fn opt_str(mut self, v: Option<&str>) -> Self {
        match self.next() {
            Buf::Str(b) => b.append_option(v),
            _ => self.mismatch("Str"),
        }
        self
    }

    /// A time, or null.
    #[inline]
    pub fn time(mut self, v: Option<chrono::DateTime<chrono::FixedOffset>>) -> Self {
        match self.next() {
            Buf::Time(b) => b.append_option(v.map(|t| t.timestamp_micros())),
            _ => self.mismatch("Time"),
        }
        self
    }

    /// Appends counts to consecutive u64 columns.
    #[inline]
    pub fn u64s(mut self, vs: impl IntoIterator<Item = u64>) -> Self {
        for v in vs {
            self = self.u64(v);
        }
        self
    }

    /// Ends the row.
    #[inline]
    pub fn end(self) {
        assert_eq!(self.at, self.rows.bufs.len(), "{}: row ended early", self.rows.schema.name);
        self.rows.len += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static T: Schema = Schema {
        name: "t",
        row: "a test row",
        columns: &[
            col("a", Ty::Str, "a"),
            opt("b", Ty::U64, "b"),
            col("c", Ty::Time, "c"),
            col("d", Ty::Bool, "d"),
        ],
    };

    #[test]
    fn rows_build_a_frame_of_the_schema() {
        let mut r = Rows::new(&T);
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-25T20:44:11+01:00").unwrap();
        r.row().str("x").opt_u64(None).time(Some(t)).bool(true).end();
        r.row().str("y").opt_u64(Some(7)).time(None).bool(false).end();
        let df = r.take();
        assert_eq!(df.schema().as_ref(), &T.polars());
        assert_eq!(df.height(), 2);
        assert_eq!(df.column("b").unwrap().u64().unwrap().get(1), Some(7));
        let c = df.column("c").unwrap().datetime().unwrap();
        assert_eq!(c.phys.get(0), Some(t.timestamp_micros()));
        assert!(r.is_empty());
        assert_eq!(r.take().height(), 0);
    }
}
