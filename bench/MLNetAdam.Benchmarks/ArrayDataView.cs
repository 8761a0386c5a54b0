using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAdam.Benchmarks;

/// <summary>
/// A read-only <see cref="IDataView"/> over row-major float features and 0-based class labels, with no copy:
/// <c>Label</c> (key of <c>classes</c> values) and <c>Features</c> (vector of <c>features</c> singles).
/// Each cursor hands out the rows in order; the getter copies one row into the caller's buffer.
/// </summary>
internal sealed class ArrayDataView : IDataView
{
    private readonly float[] _x;
    private readonly int[] _y;
    private readonly int _features;

    public ArrayDataView(float[] x, int[] y, int features, int classes)
    {
        if (x.Length != (long)y.Length * features)
            throw new ArgumentException("x must hold y.Length × features values.");
        _x = x;
        _y = y;
        _features = features;
        var b = new DataViewSchema.Builder();
        b.AddColumn("Label", new KeyDataViewType(typeof(uint), classes));
        b.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, features));
        Schema = b.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _y.Length;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        => new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly ArrayDataView _view;
        private readonly HashSet<int> _active;
        private long _position = -1;

        public Cursor(ArrayDataView view, HashSet<int> active)
        {
            _view = view;
            _active = active;
        }

        public override DataViewSchema Schema => _view.Schema;
        public override long Position => _position;
        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (_position + 1 >= _view._y.Length)
            {
                _position = _view._y.Length;
                return false;
            }
            _position++;
            return true;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

        public override ValueGetter<DataViewRowId> GetIdGetter()
            => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index == 0)
            {
                ValueGetter<uint> label = (ref uint v) => v = (uint)_view._y[_position] + 1;
                return (ValueGetter<TValue>)(Delegate)label;
            }
            int f = _view._features;
            ValueGetter<VBuffer<float>> features = (ref VBuffer<float> v) =>
            {
                var editor = VBufferEditor.Create(ref v, f);
                _view._x.AsSpan((int)(_position * f), f).CopyTo(editor.Values);
                v = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)features;
        }
    }
}
