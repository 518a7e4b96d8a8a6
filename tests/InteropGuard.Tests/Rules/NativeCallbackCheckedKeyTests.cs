using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 on two things a bridge does that cannot fail in practice: removing from an object table a key it has just
    /// dereferenced (a null key would have failed there first, and the model counts no null dereference), and reading the
    /// exception a typed handler caught (<c>GetBaseException</c>, <c>ToString</c>). Beside each, the shape that still fails.
    /// </summary>
    public class NativeCallbackCheckedKeyTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

sealed class Table
{
    readonly Dictionary<object, int> _back = new Dictionary<object, int>();
    readonly Dictionary<int, object> _ids = new Dictionary<int, object>();
    public static Table Current;
    public static Exception LastFailure;
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string callback, string operation, string inside)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback '" + callback + "' is [UnmanagedCallersOnly], and '" + operation + "' may throw (" + inside + ") outside a catch-all: an exception escaping to native code terminates the process");

        // The collector's shape: the object found by id is tested for its type before its reverse entry goes.
        [Fact]
        public Task RemovingAKeyTheGuardDereferencedDoesNotThrow() => Check(@"
    void Forget(object o, int id)
    {
        _ids.Remove(id);
        if (!o.GetType().IsValueType || o.GetType().IsEnum)
            _back.Remove(o);
    }

    [UnmanagedCallersOnly]
    static int Collect(int id)
    {
        var table = Current;
        if (table._ids.TryGetValue(id, out var o))
            table.Forget(o, id);
        return 0;
    }
}");

        [Fact]
        public Task RemovingAKeyAnEarlierStatementDereferencedDoesNotThrow() => Check(@"
    int Forget(object o)
    {
        var kind = o.GetType();
        _back.Remove(o);
        return kind.IsEnum ? 1 : 0;
    }

    [UnmanagedCallersOnly]
    static int Collect(int id) => Current._ids.TryGetValue(id, out var o) ? Current.Forget(o) : 0;
}");

        // The pusher's shape: the lookup is the right operand of '&&' whose left operand reads the key.
        [Fact]
        public Task LookingUpAKeyTheLeftOperandDereferencedDoesNotThrow() => Check(@"
    int IdOf(object o) => !o.GetType().IsValueType && _back.TryGetValue(o, out var id) ? id : -1;

    [UnmanagedCallersOnly]
    static int Find(int id) => Current._ids.TryGetValue(id, out var o) ? Current.IdOf(o) : 0;
}");

        // Nothing on the way reads the key: a null one reaches the table's argument check.
        [Fact]
        public Task RemovingAKeyNobodyDereferencedStillThrows() => Check(@"
    void Forget(object o, int id)
    {
        _ids.Remove(id);
        if (id > 0)
            _back.Remove(o);
    }

    [UnmanagedCallersOnly]
    static int {|#0:Collect|}(int id)
    {
        var table = Current;
        if (table._ids.TryGetValue(id, out var o))
            table.Forget(o, id);
        return 0;
    }
}", Finding(0, "Collect", "table.Forget(o, id)", "'_back.Remove(o)' in 'Forget'"));

        // Only the right operand of '||' reads the key, and it runs only when the left is false.
        [Fact]
        public Task ADereferenceThatMayBeSkippedDoesNotProveTheKey() => Check(@"
    void Forget(object o, int id)
    {
        if (id > 0 || o.GetType().IsEnum)
            _back.Remove(o);
    }

    [UnmanagedCallersOnly]
    static int {|#0:Collect|}(int id)
    {
        var table = Current;
        if (table._ids.TryGetValue(id, out var o))
            table.Forget(o, id);
        return 0;
    }
}", Finding(0, "Collect", "table.Forget(o, id)", "'_back.Remove(o)' in 'Forget'"));

        // A typed handler that keeps what it caught: reading the exception is not a new failure.
        [Fact]
        public Task ReadingTheCaughtExceptionDoesNotThrow() => Check(@"
    static int Run(Func<int> work)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (e is System.Reflection.TargetInvocationException)
        {
            LastFailure = e.GetBaseException();
            return e.ToString().Length;
        }
        catch (Exception)
        {
            return -1;
        }
    }

    static int Quiet() => 1;

    [UnmanagedCallersOnly]
    static int Call() => Run(Quiet);
}");

        // The same handler parsing the message does fail on ordinary input.
        [Fact]
        public Task ParsingInTheHandlerStillThrows() => Check(@"
    static int Run(Func<int> work)
    {
        try
        {
            return work();
        }
        catch (InvalidOperationException e)
        {
            LastFailure = e.GetBaseException();
            return int.Parse(e.Message);
        }
    }

    static int Quiet() => 1;

    [UnmanagedCallersOnly]
    static int {|#0:Call|}() => Run(Quiet);
}", Finding(0, "Call", "Run(Quiet)", "'int.Parse(e.Message)' in 'Run'"));
    }
}
