using System.Threading;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// Counts the searches beyond the diagnostic's document a fix makes (set through an <see cref="AsyncLocal{T}"/> by
    /// the flow that wants to know): tests show that offering an action does not search the project and applying it does.
    /// </summary>
    internal sealed class SearchCounter
    {
        private int _count;

        public int Count => _count;

        public void Increment() => Interlocked.Increment(ref _count);
    }
}
