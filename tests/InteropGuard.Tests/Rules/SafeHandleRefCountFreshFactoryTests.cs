using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3006 (a) on a handle a factory of the compilation just made (Flow/FreshHandleFactories): a builder that makes a
    /// session handle, lends it to its own private setters, which only give it to native calls, and returns it, hands the
    /// caller a handle nobody else holds. A factory that keeps the handle in a field or a static, lends it to a method that
    /// does, lends it to an overridable method, or can itself be overridden, may hand out a handle another thread holds.
    /// </summary>
    public class SafeHandleRefCountFreshFactoryTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

public static class Native
{
    [DllImport(""sample"")] public static extern IntPtr session_new();
    [DllImport(""sample"")] public static extern void session_free(IntPtr session);
    [DllImport(""sample"")] public static extern int session_set_title(SessionHandle session, string title);
    [DllImport(""sample"")] public static extern void session_set_depth(SessionHandle session, int depth);
    [DllImport(""sample"")] public static extern int host_adopt(IntPtr host, IntPtr session);
}

public sealed class SessionHandle : SafeHandle
{
    public SessionHandle(IntPtr made) : base(IntPtr.Zero, true) { SetHandle(made); }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        Native.session_free(handle);
        return true;
    }
}

static class Journal
{
    public static readonly List<SessionHandle> Open = new List<SessionHandle>();
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<SafeHandleRefCountAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Adopted(int location)
            => Verify.Diagnostic("IG3006").WithLocation(location).WithMessage(
                "'session.DangerousGetHandle()' is passed to 'host_adopt' without DangerousAddRef/DangerousRelease around the use: another thread may dispose 'session' during 'host_adopt'; the released handle value can be reused");

        // The caller of every builder below: it takes the handle, gives its raw value to the host and lets go of it.
        private const string Host = @"
sealed class Host
{
    private readonly IntPtr _host = IntPtr.Zero;

    internal int Attach(Builder builder)
    {
        var session = builder.Build();
        var status = Native.host_adopt(_host, {|#0:session.DangerousGetHandle()|});
        session.SetHandleAsInvalid();
        return status;
    }
}";

        [Fact]
        public Task AHandleFromABuilderThatOnlyLendsItToNativeSettersNeedsNoReference() => Check(Host + @"
sealed class Builder
{
    private string _title = """";
    private int _depth;

    internal SessionHandle Build()
    {
        SessionHandle made = null!;
        made = new SessionHandle(Native.session_new());
        ApplyTitle(made);
        ApplyDepth(made);
        if (made.IsInvalid)
        {
            throw new InvalidOperationException();
        }

        return made;
    }

    private void ApplyTitle(SessionHandle target)
    {
        if (_title.Length > 0 && Native.session_set_title(target, _title) != 0)
        {
            throw new InvalidOperationException(_title);
        }
    }

    private void ApplyDepth(SessionHandle target) => Native.session_set_depth(target, _depth);
}");

        [Fact]
        public Task AHandleTheBuilderKeepsInAFieldIsStillReported() => Check(Host + @"
sealed class Builder
{
    private SessionHandle? _last;

    internal SessionHandle Build()
    {
        var made = new SessionHandle(Native.session_new());
        Native.session_set_depth(made, 1);
        _last = made;
        return made;
    }
}", Adopted(0));

        [Fact]
        public Task AHandleTheBuilderListsInAStaticIsStillReported() => Check(Host + @"
sealed class Builder
{
    internal SessionHandle Build()
    {
        var made = new SessionHandle(Native.session_new());
        Journal.Open.Add(made);
        return made;
    }
}", Adopted(0));

        [Fact]
        public Task AHandleLentToASetterThatKeepsItIsStillReported() => Check(Host + @"
sealed class Builder
{
    private static SessionHandle? s_current;

    internal SessionHandle Build()
    {
        var made = new SessionHandle(Native.session_new());
        Remember(made);
        return made;
    }

    private static void Remember(SessionHandle target)
    {
        Native.session_set_depth(target, 2);
        s_current = target;
    }
}", Adopted(0));

        [Fact]
        public Task AHandleLentToAnOverridableSetterIsStillReported() => Check(Host + @"
class Builder
{
    internal SessionHandle Build()
    {
        var made = new SessionHandle(Native.session_new());
        Configure(made);
        return made;
    }

    protected virtual void Configure(SessionHandle target) => Native.session_set_depth(target, 3);
}", Adopted(0));

        [Fact]
        public Task AHandleFromAnOverridableBuilderIsStillReported() => Check(Host + @"
public class Builder
{
    public virtual SessionHandle Build()
    {
        var made = new SessionHandle(Native.session_new());
        Native.session_set_depth(made, 4);
        return made;
    }
}", Adopted(0));

        [Fact]
        public Task AHandleCapturedByTheBuilderIsStillReported() => Check(Host + @"
sealed class Builder
{
    internal Action? Later;

    internal SessionHandle Build()
    {
        var made = new SessionHandle(Native.session_new());
        Later = () => Native.session_set_depth(made, 5);
        return made;
    }
}", Adopted(0));
    }
}
