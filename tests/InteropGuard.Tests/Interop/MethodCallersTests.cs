using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// The shared reading of a method's callers: every call the compilation makes, or nothing when some use is not a call.
    /// </summary>
    public class MethodCallersTests
    {
        private static (CSharpCompilation Compilation, MethodCallers Callers) Read(params string[] sources)
        {
            var compilation = CSharpCompilation.Create(
                "Callers",
                sources.Select(s => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Latest))),
                ReferenceAssemblies.Framework,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
            return (compilation, MethodCallers.Of(InteropContext.Create(compilation, new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty))));
        }

        private static IMethodSymbol Method(Compilation compilation, string type, string name)
            => compilation.GetTypeByMetadataName(type)!.GetMembers(name).OfType<IMethodSymbol>().First();

        private static IReadOnlyList<MethodCall>? CallsOf(string type, string name, params string[] sources)
        {
            var (compilation, callers) = Read(sources);
            return callers.CallsOf(Method(compilation, type, name), CancellationToken.None);
        }

        private static string[] CallerNames(IReadOnlyList<MethodCall>? calls)
            => calls!.Select(c => c.Caller is IMethodSymbol { MethodKind: MethodKind.AnonymousFunction } ? "lambda" : c.Caller!.Name).ToArray();

        [Fact]
        public void CallsInEveryTreeAreFoundWithTheFunctionThatMakesThem()
        {
            var calls = CallsOf("Shim", "Run",
                "static class Shim { internal static int Run(int x) => x; }",
                "class A { int First() => Shim.Run(1); }",
                "class B { int Second() { var y = Shim.Run(2); return y + Shim.Run(3); } }");

            Assert.Equal(new[] { "First", "Second", "Second" }, CallerNames(calls));
            Assert.All(calls!, c => Assert.Equal("Run", c.Invocation.TargetMethod.Name));
        }

        [Fact]
        public void AMethodNobodyNamesHasNoCalls()
        {
            var calls = CallsOf("Shim", "Run", "static class Shim { internal static int Run(int x) => x; }");

            Assert.NotNull(calls);
            Assert.Empty(calls!);
        }

        [Fact]
        public void AMethodGroupMakesTheAnswerUnknown()
        {
            Assert.Null(CallsOf("Shim", "Run",
                "using System; static class Shim { internal static int Run(int x) => x; static int Call() => Run(1); static Func<int, int> Give() => Run; }"));
        }

        [Fact]
        public void AConditionalCallMakesTheAnswerUnknown()
        {
            Assert.Null(CallsOf("C", "Run", "class C { internal int Run() => 1; static int? Call(C c) => c?.Run(); }"));
        }

        [Fact]
        public void NameofRunsNothingAndIsNoUse()
        {
            var calls = CallsOf("Shim", "Run", "static class Shim { internal static int Run(int x) => x; static int Call() => Run(1); static string Name() => nameof(Run); }");

            Assert.Equal(new[] { "Call" }, CallerNames(calls));
        }

        [Fact]
        public void ACallThroughTheOverriddenDeclarationIsACallOfTheOverride()
        {
            var calls = CallsOf("Derived", "ReleaseCore",
                @"abstract class Base
{
    protected abstract void ReleaseCore();
    protected void Dispose(bool disposing) => ReleaseCore();
}

sealed class Derived : Base
{
    protected override void ReleaseCore() { }
    void Again() => ReleaseCore();
}");

            Assert.Equal(new[] { "Dispose", "Again" }, CallerNames(calls));
        }

        [Fact]
        public void ACallInALambdaOrALocalFunctionNamesThatFunction()
        {
            var calls = CallsOf("C", "Run", @"using System;
class C
{
    private int Run() => 1;

    int Outer()
    {
        Func<int> f = () => Run();
        return f() + Local();

        int Local() => Run();
    }
}");

            Assert.Equal(new[] { "lambda", "Local" }, CallerNames(calls));
            Assert.Equal(MethodKind.LocalFunction, ((IMethodSymbol)calls![1].Caller!).MethodKind);
        }

        [Fact]
        public void APrivateMethodIsCalledFromItsNestedTypes()
        {
            var calls = CallsOf("C", "Run", "class C { private static int Run() => 1; class Inner { int Use() => Run(); } }");

            Assert.Equal(new[] { "Use" }, CallerNames(calls));
        }

        [Fact]
        public void APartialMethodIsReadThroughItsDeclaringPartWhicheverPartIsAsked()
        {
            var (compilation, callers) = Read(
                "partial class C { private partial void Run(); void Call() => Run(); }",
                "partial class C { private partial void Run() { } }");
            var declaring = Method(compilation, "C", "Run");
            var implementing = declaring.PartialImplementationPart!;

            Assert.Equal(new[] { "Call" }, CallerNames(callers.CallsOf(implementing, CancellationToken.None)));
            Assert.Equal(
                callers.CallsOf(declaring, CancellationToken.None)!.Select(c => c.Invocation.Syntax),
                callers.CallsOf(implementing, CancellationToken.None)!.Select(c => c.Invocation.Syntax));
        }

        [Fact]
        public void AnExtensionMethodsReducedCallsAreCalls()
        {
            var calls = CallsOf("Shim", "Twice",
                "static class Shim { internal static int Twice(this int x) => x * 2; static int Call(int y) => y.Twice() + Twice(y); }");

            Assert.Equal(new[] { "Call", "Call" }, CallerNames(calls));
        }

        [Fact]
        public void ClosedMeansNoCodeOutsideTheCompilationCanReachTheMethod()
        {
            var (compilation, callers) = Read(@"using System;
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo(""Friend"")]
public class Open
{
    internal void Internal() { }
    public void Public() { }
    protected void Protected() { }
    internal virtual void Virtual() { }
}

internal class Hidden : IDisposable
{
    public void Run() { }
    public void Dispose() { }
}");

            // InternalsVisibleTo friends are not counted, as nowhere else the rules ask who can call a method.
            Assert.True(callers.IsClosed(Method(compilation, "Open", "Internal")));
            Assert.True(callers.IsClosed(Method(compilation, "Hidden", "Run")));
            Assert.False(callers.IsClosed(Method(compilation, "Open", "Public")));
            Assert.False(callers.IsClosed(Method(compilation, "Open", "Protected")));
            Assert.False(callers.IsClosed(Method(compilation, "Open", "Virtual")));
            Assert.False(callers.IsClosed(Method(compilation, "Hidden", "Dispose")));
        }

        [Fact]
        public void AMethodADerivedTypeUsesForAnInterfaceMemberIsNotClosed()
        {
            var (compilation, callers) = Read(@"using System;
public interface IRunner { void Run(); }
public static class Factory { public static IRunner Make() => new Derived(); }

internal class Base
{
    public void Run() { }
    public void Stop() { }
}

internal class Derived : Base, IRunner { }

internal class Generic<T> { public void Run() { } }
internal sealed class Closed : Generic<int>, IRunner { }

internal class Unrelated { public void Run() { } }");

            // Code outside reaches Base.Run through IRunner (Factory.Make hands out a Derived); Base.Stop implements nothing.
            Assert.False(callers.IsClosed(Method(compilation, "Base", "Run")));
            Assert.False(callers.IsClosed(Method(compilation, "Generic`1", "Run")));
            Assert.True(callers.IsClosed(Method(compilation, "Base", "Stop")));
            Assert.True(callers.IsClosed(Method(compilation, "Unrelated", "Run")));
        }
        // A gauge and its readers in two files: three calls of Sample, in tree and text order First, Second, Third.
        private static readonly string[] Gauge =
        {
            "static class Gauge { internal static int Sample(int x) => x; }",
            "class Readers { int First() => Gauge.Sample(1); int Second() => Gauge.Sample(2); }",
            "class Later { int Third() => Gauge.Sample(3); }",
        };

        [Fact]
        public void EveryCallStopsAtTheFirstCallTurnedDownAndKeepsNoHalfAnswer()
        {
            var (compilation, callers) = Read(Gauge);
            var method = Method(compilation, "Gauge", "Sample");
            var asked = new List<string>();

            Assert.False(callers.EveryCall(method, call => { asked.Add(call.Caller!.Name); return call.Caller.Name != "First"; }, CancellationToken.None));
            Assert.Equal(new[] { "First" }, asked);

            // The search it stopped is not kept as the method's calls: they are all found when asked for.
            Assert.Equal(new[] { "First", "Second", "Third" }, CallerNames(callers.CallsOf(method, CancellationToken.None)));
        }

        [Fact]
        public void EveryCallAsksOfEachCallInOrderAndKeepsTheWholeSearch()
        {
            var (compilation, callers) = Read(Gauge);
            var method = Method(compilation, "Gauge", "Sample");
            var asked = new List<string>();

            Assert.True(callers.EveryCall(method, call => { asked.Add(call.Caller!.Name); return call.Invocation.TargetMethod.Name == "Sample"; }, CancellationToken.None));
            Assert.Equal(new[] { "First", "Second", "Third" }, asked);
            Assert.Equal(asked, CallerNames(callers.CallsOf(method, CancellationToken.None)));

            // Asked again, from the kept calls: the same answer, a call turned down still turns it.
            Assert.False(callers.EveryCall(method, call => call.Caller!.Name != "Third", CancellationToken.None));
        }

        [Fact]
        public void EveryCallIsNoWithoutACallOrWithAUseThatIsNotOne()
        {
            var (compilation, callers) = Read("using System; static class Shim { internal static int Run(int x) => x; internal static int Idle(int x) => x; static int Call() => Run(1); static Func<int, int> Give() => Run; }");

            Assert.False(callers.EveryCall(Method(compilation, "Shim", "Idle"), _ => true, CancellationToken.None));
            Assert.False(callers.EveryCall(Method(compilation, "Shim", "Run"), _ => true, CancellationToken.None));

            // The method group ended the search, and is the whole answer: kept.
            Assert.Null(callers.CallsOf(Method(compilation, "Shim", "Run"), CancellationToken.None));
        }

        [Fact]
        public void ClosedToAllButInterfacesLeavesOnlyTheInterfaceTest()
        {
            var (compilation, callers) = Read(@"using System;
public interface IRunner { void Run(); }
internal class Runner : IRunner
{
    public void Run() { }
    public void Stop() { }
    public virtual void Spin() { }
}");

            Assert.True(callers.IsClosedToAllButInterfaces(Method(compilation, "Runner", "Run")));
            Assert.True(callers.ImplementsAnInterfaceMember(Method(compilation, "Runner", "Run")));
            Assert.False(callers.IsClosed(Method(compilation, "Runner", "Run")));
            Assert.True(callers.IsClosed(Method(compilation, "Runner", "Stop")));
            Assert.False(callers.IsClosedToAllButInterfaces(Method(compilation, "Runner", "Spin")));
        }
    }
}
