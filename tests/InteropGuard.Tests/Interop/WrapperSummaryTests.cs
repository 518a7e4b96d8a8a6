using System.Linq;
using InteropGuard.Flow;
using InteropGuard.Interop;

namespace InteropGuard.Tests.Interop
{
    /// <summary>Wrapper summaries: a managed layer in front of P/Invokes counts as the native call for forwarded parameters.</summary>
    public class WrapperSummaryTests
    {
        // The shape real bindings have: P/Invoke declarations, a Proxy layer, and the public API on top.
        private const string TwoLevelBinding = @"
using System;
using System.Runtime.InteropServices;

public delegate int CredentialCallback(IntPtr payload);

internal static class NativeMethods
{
    [DllImport(""git2"")]
    internal static extern int git_remote_set_cred_cb(IntPtr remote, CredentialCallback callback);

    [DllImport(""libc"")]
    internal static extern IntPtr malloc(nuint size);
}

internal static class Proxy
{
    internal static void SetCredentialCallback(IntPtr remote, CredentialCallback callback)
    {
        var rc = NativeMethods.git_remote_set_cred_cb(remote, callback);
        if (rc != 0) throw new InvalidOperationException();
    }

    internal static IntPtr Alloc(nuint size) => NativeMethods.malloc(size);
}

public sealed class Remote
{
    private readonly IntPtr _handle;

    public void Configure(CredentialCallback callback) => Proxy.SetCredentialCallback(_handle, callback);

    public void Log(CredentialCallback callback) => Console.WriteLine(callback.Method.Name);
}

internal static class TooDeep
{
    internal static void L1(CredentialCallback c) => L2(c);
    internal static void L2(CredentialCallback c) => L3(c);
    internal static void L3(CredentialCallback c) => L4(c);
    internal static void L4(CredentialCallback c) => Proxy.SetCredentialCallback(IntPtr.Zero, c);
}
";

        [Fact]
        public void FirstLevelWrapperForwardsItsParameterToTheNativeFunction()
        {
            var test = new InteropTestCompilation(TwoLevelBinding);
            var parameter = test.Method("Proxy", "SetCredentialCallback").Parameters[1];

            var summary = ParameterSummaries.Of(test.Context).Get(parameter, test.Scope, depth: 0);

            var target = Assert.Single(summary.NativeTargets.Targets);
            Assert.Equal("git_remote_set_cred_cb", target.Function.EntryPoint);
            Assert.Equal("callback", target.Parameter.Name);
            Assert.True(summary.Escapes, "git_remote_set_cred_cb keeps the callback (set...cb): ownership is shared with native code");
            Assert.Null(summary.Releases);
        }

        [Fact]
        public void SecondLevelWrapperReachesTheSameNativeParameter()
        {
            var test = new InteropTestCompilation(TwoLevelBinding);
            var parameter = test.Method("Remote", "Configure").Parameters[0];

            var summary = ParameterSummaries.Of(test.Context).Get(parameter, test.Scope, depth: 0);

            var target = Assert.Single(summary.NativeTargets.Targets);
            Assert.Equal("git_remote_set_cred_cb", target.Function.EntryPoint);
            Assert.Equal(1, target.Parameter.Ordinal);
        }

        [Fact]
        public void AParameterThatOnlyReachesManagedCodeHasNoNativeTarget()
        {
            var test = new InteropTestCompilation(TwoLevelBinding);
            var parameter = test.Method("Remote", "Log").Parameters[0];

            var summary = ParameterSummaries.Of(test.Context).Get(parameter, test.Scope, depth: 0);

            Assert.Empty(summary.NativeTargets.Targets);
        }

        [Fact]
        public void DepthIsBounded()
        {
            var test = new InteropTestCompilation(TwoLevelBinding);
            var withinBound = test.Method("TooDeep", "L3").Parameters[0];
            var beyondBound = test.Method("TooDeep", "L1").Parameters[0];

            Assert.NotEmpty(ParameterSummaries.Of(test.Context).Get(withinBound, test.Scope, depth: 0).NativeTargets.Targets);
            Assert.Empty(ParameterSummaries.Of(test.Context).Get(beyondBound, test.Scope, depth: 0).NativeTargets.Targets);
        }

        [Fact]
        public void SingleCallBodyIsAForwardedCall()
        {
            var test = new InteropTestCompilation(TwoLevelBinding);

            var forwarded = test.Context.Wrappers.GetForwardedCall(test.Method("Proxy", "Alloc"));

            Assert.NotNull(forwarded);
            Assert.Equal("malloc", forwarded!.Target.Name);
            Assert.Equal(0, forwarded.WrapperParameterFor(0));
            Assert.True(test.Scope.Catalogue.TryGetAllocator(test.Method("Proxy", "Alloc"), out var allocator));
            Assert.Equal("Proxy.Alloc", allocator.Display);
            Assert.Equal("free", allocator.Release);
        }

        [Fact]
        public void BodyWithMoreThanOneStatementIsNotAForwardedCall()
        {
            var test = new InteropTestCompilation(TwoLevelBinding);

            Assert.Null(test.Context.Wrappers.GetForwardedCall(test.Method("Proxy", "SetCredentialCallback")));
        }
    }
}
