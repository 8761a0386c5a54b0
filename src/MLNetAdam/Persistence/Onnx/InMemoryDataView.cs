using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAdam.Persistence.Onnx;

/// <summary>
/// A tiny read-only data view over values held in memory, with any column types and annotations (ML.NET's
/// <c>LoadFromEnumerable</c> needs a compile-time row class). Used to fit ML.NET's own transformers when saving.
/// </summary>
internal sealed class InMemoryDataView : IDataView
{
    private readonly object[][] _values;

    /// <summary>Creates the view.</summary>
    /// <param name="schema">The columns.</param>
    /// <param name="values">Per column, one boxed value per row (of the column's raw type, e.g. <c>VBuffer&lt;float&gt;</c>).</param>
    public InMemoryDataView(DataViewSchema schema, object[][] values)
    {
        if (values.Length != schema.Count)
            throw new ArgumentException($"Expected values for {schema.Count} columns; got {values.Length}.", nameof(values));
        RowCount = values.Length == 0 ? 0 : values[0].Length;
        if (values.Any(v => v.Length != RowCount))
            throw new ArgumentException("Every column needs the same number of rows.", nameof(values));
        Schema = schema;
        _values = values;
    }

    public DataViewSchema Schema { get; }

    public bool CanShuffle => false;

    public int RowCount { get; }

    public long? GetRowCount() => RowCount;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [new Cursor(this, columnsNeeded)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly InMemoryDataView _view;
        private readonly bool[] _active;
        private long _position = -1;

        public Cursor(InMemoryDataView view, IEnumerable<DataViewSchema.Column> columnsNeeded)
        {
            _view = view;
            _active = new bool[view.Schema.Count];
            foreach (var column in columnsNeeded)
                _active[column.Index] = true;
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (_position + 1 >= _view.RowCount)
            {
                _position = _view.RowCount;
                return false;
            }
            _position++;
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active[column.Index])
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
            var values = _view._values[column.Index];
            return (ref TValue value) => value = (TValue)values[_position];
        }
    }
}
