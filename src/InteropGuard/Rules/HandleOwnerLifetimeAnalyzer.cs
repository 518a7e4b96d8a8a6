using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Flow;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Rules
{
    /// <summary>
    /// IG1001: a raw handle read from an object that releases it when collected is passed to native code (directly or
    /// through a wrapper that forwards it), and the object is not used on every path after the call.
    /// </summary>
    [DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
    public sealed class HandleOwnerLifetimeAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>
        /// Diagnostic property: "This", "Variable" or "Temporary" (<see cref="HandleOwnerKind"/>). The owner itself is the
        /// second additional location (the call is the first); fixes read it from there.
        /// </summary>
        internal const string OwnerKindProperty = "OwnerKind";

        /// <summary>Diagnostic property: the field of the owner variable (a wrapper struct) that holds the owning object, when there is one (<see cref="HandleOwner.Member"/>).</summary>
        internal const string OwnerMemberProperty = "OwnerMember";

        private readonly bool _readTreeVerdicts;

        // Bodies decided without the graph, for the tests that hold each tree verdict to the graph's answer.
        private long _treeDecided;

        // Bodies answered on the driver's graph, for the tests and measurements of what the tree leaves to it.
        private long _graphDecided;

        public HandleOwnerLifetimeAnalyzer()
            : this(readTreeVerdicts: true)
        {
        }

        /// <summary>For tests: without the tree verdicts every body that needs one is answered on its graph.</summary>
        internal HandleOwnerLifetimeAnalyzer(bool readTreeVerdicts)
        {
            _readTreeVerdicts = readTreeVerdicts;
        }

        /// <summary>For tests: how many bodies with handle calls were decided from the operation tree, without the graph.</summary>
        internal long TreeDecided => System.Threading.Interlocked.Read(ref _treeDecided);

        /// <summary>For tests: how many bodies with handle calls were answered on the driver's control-flow graph.</summary>
        internal long GraphDecided => System.Threading.Interlocked.Read(ref _graphDecided);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.HandleOwnerLifetime, Descriptors.FinalizerReleasedHandle);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            // The driver still skips generated code, but its filter of reports reads every token of each tree with a
            // finding; GeneratedCodeReports drops the same reports from the declarations around them.
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.ReportDiagnostics);
            context.RegisterCompilationStartAction(start =>
            {
                var interop = InteropContext.For(start.Compilation, start.Options);

                // A handle reaches native code only through a native function this compilation declares or obtains.
                if (!interop.Vocabulary.CompilationUses(InteropWords.NativeDeclaration))
                {
                    return;
                }

                var owners = new HandleOwners(interop.Types, start.Compilation, MethodCallers.Of(interop), new SilentFinalizers(interop).ReleasesNothing, method => interop.NativeFunctions.Get(method) != null);
                var generated = new GeneratedCodeReports(start.Compilation, start.Options);
                var designs = new DesignFindings(new FinalizerReleasedHandles(interop, owners), generated);
                var rooted = new HandleOwnersRootedByGCHandle(interop, owners.SourceTypes);
                var callees = new HandleParameters(interop, owners);
                start.RegisterOperationBlockAction(block => AnalyzeBlock(interop, owners, callees, rooted, designs, generated, block));
                start.RegisterCompilationEndAction(designs.Report);
            });
        }

        private void AnalyzeBlock(InteropContext interop, HandleOwners owners, HandleParameters callees, HandleOwnersRootedByGCHandle rooted, DesignFindings designs, GeneratedCodeReports generated, OperationBlockAnalysisContext context)
        {
            if (context.OwningSymbol is not IMethodSymbol method || ReleasePaths.Is(method) || BodyBlock(context.OperationBlocks) is not { } bodyBlock)
            {
                return;
            }

            // The driver hands over the body block; its root (the method or constructor body) is what the graph covers.
            var root = OperationTree.Root(bodyBlock);

            if (!ControlFlowGraphs.HasGraph(root))
            {
                return;
            }

            // One walk finds the calls that hand raw handles to native code; the questions below are asked only of them.
            // The tree's scope is looked up only when a call hands over a handle something may own (four bodies in five
            // have none), where every body looked it up before its walk.
            var tree = root.Syntax.SyntaxTree;
            var facts = new BodyWalk(callees, owners, new TreeScopeOnAsk(interop, tree));
            facts.Walk(root);
            if (facts.HandleCalls is { } handleCalls)
            {
                var scope = facts.Scope ?? interop.ForTree(tree);
                AnalyzeHandleCalls(interop, owners, callees, rooted, designs, generated, context, method, bodyBlock, root, scope, handleCalls, facts.HasFunctions, facts.AssignedFields, facts.HasGoto);
            }
        }

        /// <summary>
        /// The questions asked of a body with calls that hand raw handles to native code (one body in four or five). Apart
        /// from <see cref="AnalyzeBlock"/>, whose every body would otherwise allocate the closures these questions share.
        /// </summary>
        private void AnalyzeHandleCalls(InteropContext interop, HandleOwners owners, HandleParameters callees, HandleOwnersRootedByGCHandle rooted, DesignFindings designs, GeneratedCodeReports generated, OperationBlockAnalysisContext context,
                                        IMethodSymbol method, IOperation bodyBlock, IOperation root, InteropScope scope,
                                        List<(IOperation Call, List<(IArgumentOperation Argument, NamedFunction Function)> Arguments)> handleCalls,
                                        bool hasFunctions, HashSet<IFieldSymbol>? clearedFields, bool hasGoto)
        {
            // The readings of the whole body that owners ask for, each made on the first ask and kept for the tree pass and the graph.
            var readings = new BodyReadings(root, hasFunctions);
            var reports = generated.For(method);
            var verdicts = TreeVerdicts(interop, owners, root, method, handleCalls, readings, clearedFields, hasGoto, _readTreeVerdicts);

            if (verdicts != null)
            {
                System.Threading.Interlocked.Increment(ref _treeDecided);
                foreach (var (call, argument, function, owner) in verdicts)
                {
                    if (HeldUnderConstruction(owners, owner, method, InLambda(call), context.CancellationToken) || rooted.Roots(owner, context.CancellationToken)
                        || HandleOwnersKeptByThis.Keeps(owner, call, method, root) || HandleOwnersLockedAgainstFinalizer.Keeps(interop, owner, call, method, root)
                        || HandleOwnersReadFromThis.Keeps(interop, owners, owner, call, method, root, readings.SingleValue)
                        || DisposerOnlyMethods.Of(interop).IsOnlyCalledToRelease(method, context.CancellationToken)
                        || CallerKeptOwners.Of(interop).Keeps(owner, call, method, root, context.CancellationToken))
                    {
                        continue;
                    }

                    Report(Finding(call, argument, function, owner, designs), ref reports, context);
                }

                return;
            }

            // The driver's graph, shared with every other analyzer that asks for this body's.
            System.Threading.Interlocked.Increment(ref _graphDecided);
            var graph = context.GetControlFlowGraph(bodyBlock);
            var reported = new HashSet<int>();
            foreach (var body in ControlFlowGraphs.AllIn(graph, context.CancellationToken))
            {
                var usedAfter = UsedAfter.In(body);
                Func<IOperation, IOperation> written = usedAfter.Captured;

                // A lambda's 'this' is its delegate's target, held by whoever invokes the delegate.
                var inLambda = body.OriginalOperation is IAnonymousFunctionOperation;
                Dictionary<ILocalSymbol, IOperation>? origins = null;
                Func<ILocalSymbol, IOperation?> origin = local =>
                    (origins ??= LocalOrigins.In(body.Blocks.SelectMany(ControlFlowGraphs.Operations).SelectMany(o => o.DescendantsAndSelf()))).TryGetValue(local, out var value) ? value : null;
                var treeScope = new TreeScopeOnAsk(scope);
                foreach (var block in body.Blocks)
                {
                    var statements = block.BranchValue == null ? block.Operations : block.Operations.Add(block.BranchValue);
                    foreach (var call in statements.SelectMany(s => s.DescendantsAndSelf()).Where(IsCall))
                    {
                        context.CancellationToken.ThrowIfCancellationRequested();
                        if (HandleArguments(callees, owners, ref treeScope, call, written) is not { } handleArguments)
                        {
                            continue;
                        }

                        foreach (var (argument, function) in handleArguments)
                        // An argument the graph moved into a capture ('Decode(_ptr, …, fec ? 1 : 0)') is read as written.
                        foreach (var owner in owners.FindAll(written(argument.Value), origin, readings.Stored))
                        {
                            if (Exempt(owner, method, inLambda, readings, clearedFields) || !reported.Add(owner.Handle.Syntax.SpanStart))
                            {
                                continue;
                            }

                            // Optimized code reports the owner live across the call when some path after it reads the owner
                            // (Flow/UsedAfter): a read on a branch that is not taken protects the call as well, and so does
                            // an operand holding it that is taken after the call, pending or captured by the graph.
                            if (owner.Kind != HandleOwnerKind.Temporary
                                && (usedAfter.OnSomePath(call, op => IsUseOf(op, owner) && LiveReads.Keeps(op), op => IsOverwriteOf(op, owner), ReadKey(owner), value => PendingOperands.Holds(value, owner.Owner))
                                    || InteriorPointerArgument(call, owner)))
                            {
                                continue;
                            }

                            if (HeldUnderConstruction(owners, owner, method, inLambda, context.CancellationToken) || rooted.Roots(owner, context.CancellationToken)
                                || HandleOwnersKeptByThis.Keeps(owner, call, method, root) || HandleOwnersLockedAgainstFinalizer.Keeps(interop, owner, call, method, root)
                                || HandleOwnersReadFromThis.Keeps(interop, owners, owner, call, method, root, readings.SingleValue)
                                || DisposerOnlyMethods.Of(interop).IsOnlyCalledToRelease(method, context.CancellationToken)
                                || CallerKeptOwners.Of(interop).Keeps(owner, call, method, root, context.CancellationToken))
                            {
                                continue;
                            }

                            Report(Finding(call, argument, function, owner, designs), ref reports, context);
                        }
                    }
                }
            }

        }

        /// <summary>
        /// A finding the driver would have dropped as generated code still counts for IG3008, as it did then. Not a local
        /// function: capturing the block's context would make every body with a handle call copy it into a closure.
        /// </summary>
        private static void Report(Diagnostic finding, ref GeneratedCodeReports.MemberReports reports, in OperationBlockAnalysisContext context)
        {
            if (!reports.Drops(finding.Location, context.CancellationToken))
            {
                context.ReportDiagnostic(finding);
            }
        }

        // The properties of a finding without an owner member, one per owner kind: a binding has a thousand findings.
        private static readonly ImmutableDictionary<string, string?>[] KindProperties =
            new[] { HandleOwnerKind.This, HandleOwnerKind.Variable, HandleOwnerKind.Temporary }
                .Select(kind => ImmutableDictionary<string, string?>.Empty.Add(OwnerKindProperty, kind.ToString())).ToArray();

        private static Diagnostic Finding(IOperation call, IArgumentOperation argument, NamedFunction function, HandleOwner owner, DesignFindings designs)
            => Diagnostic.Create(
                Descriptors.HandleOwnerLifetime,
                (IsRawHandleArray(argument) ? owner.Handle : argument.Value).Syntax.GetLocation(),
                KeptAliveAt(call, owner, HandleOwners.IsHandleRecordArray(argument.Parameter?.Type)),
                owner.Member == null
                    ? KindProperties[(int)owner.Kind]
                    : KindProperties[(int)owner.Kind].Add(OwnerMemberProperty, owner.Member.Name),
                owner.OwnerText,
                owner.Handle.Syntax.ToString(),
                function.ToString(),
                designs.Count(owner));

        /// <summary>
        /// The call and what the fix keeps alive after it: the owner expression; for a handle stored into a struct of an
        /// array, the variable the owner is held by (<c>pages</c> for <c>pages[i].Image</c>, as the owner expression may
        /// use locals of a loop), and nothing (no fix) when that variable is out of scope at the call.
        /// </summary>
        private static Location[] KeptAliveAt(IOperation call, HandleOwner owner, bool storedInRecords)
        {
            if (!storedInRecords || owner.Kind != HandleOwnerKind.Variable)
            {
                return new[] { call.Syntax.GetLocation(), owner.Owner.Syntax.GetLocation() };
            }

            var root = OperationTree.SkipConversions(owner.Owner);
            while (true)
            {
                switch (root)
                {
                    case IFieldReferenceOperation { Instance: { } instance }:
                        root = OperationTree.SkipConversions(instance);
                        continue;
                    case IPropertyReferenceOperation { Instance: { } instance }:
                        root = OperationTree.SkipConversions(instance);
                        continue;
                    case IArrayElementReferenceOperation element:
                        root = OperationTree.SkipConversions(element.ArrayReference);
                        continue;
                }

                break;
            }

            var inScope = root switch
            {
                IParameterReferenceOperation _ => true,
                ILocalReferenceOperation local => local.Local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is { } declaration
                                                  && ScopeOf(declaration) is { } scope && scope.Span.Contains(call.Syntax.Span),
                _ => false,
            };
            return inScope ? new[] { call.Syntax.GetLocation(), root.Syntax.GetLocation() } : new[] { call.Syntax.GetLocation() };
        }

        /// <summary>The statement or block a local declared at <paramref name="declaration"/> is visible in.</summary>
        private static SyntaxNode? ScopeOf(SyntaxNode declaration)
            => declaration is ForEachStatementSyntax ? declaration
               : declaration.Ancestors().FirstOrDefault(a => a is BlockSyntax || a is SwitchSectionSyntax || a is ForStatementSyntax || a is ForEachStatementSyntax
                                                            || a is UsingStatementSyntax || a is FixedStatementSyntax || a is CatchClauseSyntax);

        /// <summary>
        /// Owners the rule does not protect: captured by a closure, 'this' where its caller holds it (a lambda's; a
        /// constructor's, left out before any reading: asking the creations, as <see cref="HeldUnderConstruction"/> does for
        /// the methods only constructors call, cost TorchSharp's IG1001 a third more for its constructors' handle calls), a
        /// handle taken over.
        /// </summary>
        private static bool Exempt(HandleOwner owner, IMethodSymbol method, bool inLambda, BodyReadings readings, HashSet<IFieldSymbol>? clearedFields)
            => (owner.Kind == HandleOwnerKind.This && (method.MethodKind == MethodKind.Constructor || inLambda))
               || (owner.Root != null && readings.Captured.Contains(owner.Root))
               || ClearsHandleField(clearedFields, owner);

        /// <summary>
        /// 'this' while its object is being built, where no creation of the class in sight drops the new object
        /// (<see cref="HandleOwnersUnderConstruction"/>): asked of a finding about to be reported, as the answer may read
        /// every creation of the class.
        /// </summary>
        private static bool HeldUnderConstruction(HandleOwners owners, HandleOwner owner, IMethodSymbol method, bool inLambda, System.Threading.CancellationToken cancellationToken)
            => owner.Kind == HandleOwnerKind.This && !inLambda && owners.UnderConstruction.HeldByCreator(method, cancellationToken);

        /// <summary>
        /// The common cases without a control-flow graph (PERFORMANCE.md, cause 6), decided for every handle of the body
        /// or for none: an owner that a <c>GC.KeepAlive(owner)</c> later in the same statement list keeps alive, with
        /// nothing between that can jump past it (no finding); an owner the call certainly reaches a read of — the Dispose
        /// of the <c>using</c> that declares it, or a later statement that reads it straight through (no finding, as the
        /// graph's "read on some path after the call" can only answer yes); and an owner that nothing can read after the
        /// call because no reference to it follows the call's statement and no loop or <c>goto</c> can bring control back
        /// before it (a finding: the graph can only answer no). Temporaries are findings whatever the graph says. Owners
        /// found through a local's earlier value or through handles stored in an array and not kept by one of these
        /// reads, and calls in lambdas and local functions, are left to the graph. Null: the graph decides the whole
        /// body; otherwise the findings, in the order of the tree.
        /// </summary>
        private static List<(IOperation Call, IArgumentOperation Argument, NamedFunction Function, HandleOwner Owner)>? TreeVerdicts(InteropContext interop, HandleOwners owners, IOperation root, IMethodSymbol method, List<(IOperation Call, List<(IArgumentOperation Argument, NamedFunction Function)> Arguments)> handleCalls, BodyReadings readings, HashSet<IFieldSymbol>? clearedFields, bool hasGoto, bool readNotReadAfter)
        {
            readings.ThroughLocals = false;
            var findings = new List<(IOperation, IArgumentOperation, NamedFunction, HandleOwner)>();

            // The handles met so far, by position: most bodies hand over one, so the set is made at the second.
            var firstReported = -1;
            HashSet<int>? reported = null;
            foreach (var (call, arguments) in handleCalls)
            {
                foreach (var (argument, function) in arguments)
                {
                    var found = owners.FindAll(argument.Value, readings.Origin, readings.Stored);
                    for (var i = 0; i < found.Count; i++)
                    {
                        var owner = found[i];
                        if (Exempt(owner, method, InLambda(call), readings, clearedFields))
                        {
                            continue;
                        }

                        // The graph reports a handle once, for the first owner in the graph's order: two owners of one
                        // handle are left to it.
                        var handleStart = owner.Handle.Syntax.SpanStart;
                        if (firstReported < 0)
                        {
                            firstReported = handleStart;
                        }
                        else if (!(reported ??= new HashSet<int> { firstReported }).Add(handleStart))
                        {
                            return null;
                        }

                        // A GC.KeepAlive(owner) later in the call's statement list is found by a look at the statements after
                        // the call, where the walk below would read the rest of the body to find the same reference: asked
                        // first, it spares that walk wherever bindings keep their owners so (each KeepAlive is a reference
                        // after the call, so the walk below could only have answered no).
                        if (owner.Kind != HandleOwnerKind.Temporary && KeptAliveLaterInBlock(interop, call, owner))
                        {
                            continue;
                        }

                        // The straight read below needs a reference to the owner after the call. When none follows (the
                        // usual finding), the walk that says so spares its walk. A 'using' variable's Dispose is a read the
                        // tree does not show, and a goto may bring control back: those owners take the test in full.
                        // Asked once for both tests below (it reads the local's declaration, a new array each time).
                        var disposedAfter = readNotReadAfter && owner.Kind != HandleOwnerKind.Temporary && StraightReads.DisposedAfter(call, owner.Root);
                        var nothingAfter = readNotReadAfter && owner.Kind != HandleOwnerKind.Temporary && !hasGoto
                                           && !disposedAfter && NothingReadsAfter(root, call, owner);

                        // A read the call certainly reaches — the Dispose of the 'using' that declares the owner, or a read
                        // later in the call's statement list with nothing between that can jump past it — keeps the owner:
                        // the graph's "read on some path after the call" can only answer yes.
                        if (!nothingAfter && readNotReadAfter && owner.Kind != HandleOwnerKind.Temporary
                            && (disposedAfter || ReadLater(call, owner)))
                        {
                            continue;
                        }

                        if (!readNotReadAfter || readings.ThroughLocals)
                        {
                            return null;
                        }

                        if (owner.Kind != HandleOwnerKind.Temporary)
                        {
                            if (InteriorPointerArgument(call, owner) || PendingOperands.Hold(call, owner.Owner))
                            {
                                continue;
                            }

                            // Past the tests above, an owner with no answer yet has a reference after the call, or a goto.
                            if (!nothingAfter)
                            {
                                return null;
                            }
                        }

                        findings.Add((call, argument, function, owner));
                    }
                }
            }

            return findings;
        }

        /// <summary>
        /// Is there certainly no reference to the owner (<c>this</c>, or its variable) after <paramref name="call"/>: none
        /// in the rest of the call's statement outside the call (a store into the owner completes after the call) and
        /// none after that statement, with no loop around the call? Without a backward jump, control after the call only
        /// reaches code written after it. A variable a <c>using</c> or <c>foreach</c> declares is read by code the
        /// compiler adds (its Dispose), which the tree does not show: no answer.
        /// </summary>
        private static bool NothingReadsAfter(IOperation root, IOperation call, HandleOwner owner)
        {
            IOperation? statement = null;
            var child = call;
            for (var current = call.Parent; current != null; child = current, current = current.Parent)
            {
                if (current is ILoopOperation || OperationTree.IsFunction(current))
                {
                    return false;
                }

                // The statement is the call's ancestor in the innermost statement list; the walk goes on to the root for loops.
                if (statement == null && current is IBlockOperation)
                {
                    statement = child;
                }
            }

            statement ??= call;

            // A statement whose evaluation branches or builds an object in steps is split by the graph into flow captures,
            // through which the graph may see the call's handles differently from the tree: left to the graph, unless the
            // call is a whole branch of a conditional, whose conditions and other branches are then passed over.
            if (ConditionalBranchCalls.PassedParts(statement, call) is not { } passed)
            {
                return false;
            }

            // The owner's variable; null for 'this'.
            ISymbol? variable;
            switch (owner.Kind)
            {
                case HandleOwnerKind.This:
                    variable = null;
                    break;
                case HandleOwnerKind.Variable when owner.Root is IParameterSymbol parameter:
                    variable = parameter;
                    break;
                case HandleOwnerKind.Variable when owner.Root is ILocalSymbol local && IsPlainLocal(local):
                    variable = local;
                    break;
                default:
                    return false;
            }

            return !ReferenceAfter(root, new RestOfBody(statement.Syntax.Span.Start, call, variable, passed), depth: 0);
        }

        /// <summary>What <see cref="NothingReadsAfter"/> looks for: a reference to the owner after the call's statement start, outside the call and the passed parts.</summary>
        private readonly struct RestOfBody
        {
            public RestOfBody(int after, IOperation call, ISymbol? variable, IReadOnlyList<IOperation> passed)
            {
                After = after;
                CallOperation = call;
                Call = call.Syntax.Span;
                Variable = variable;
                Passed = passed;
            }

            public int After { get; }

            public IOperation CallOperation { get; }

            public TextSpan Call { get; }

            /// <summary>The owner's parameter or local; null for <c>this</c>.</summary>
            public ISymbol? Variable { get; }

            public IReadOnlyList<IOperation> Passed { get; }

            /// <summary>
            /// Can this subtree hold a reference after the call? Not when it is the call, or ends before the statement. Read
            /// from the full span (the node's position and width, where its span walks down to its last token for the
            /// trailing trivia): a subtree whose trivia alone reaches the statement is read in vain, as its references
            /// start before it.
            /// </summary>
            public bool MayHold(IOperation operation) => operation != CallOperation && operation.Syntax.FullSpan.End >= After;

            /// <summary>
            /// A reference to the owner, after the statement start, outside the call and the passed parts. An operation's
            /// syntax lies within its parent's, so the call's subtree and the parts passed over hold no reference that
            /// counts, and the exact span is asked of the references alone.
            /// </summary>
            public bool IsReference(IOperation operation, OperationKind kind)
            {
                // By kind first (one virtual call, read by the caller, where an interface test is a cast): every operation of the rest passes here.
                var isReference = kind switch
                {
                    OperationKind.InstanceReference => Variable == null,
                    OperationKind.ParameterReference => Variable != null && SymbolEqualityComparer.Default.Equals(((IParameterReferenceOperation)operation).Parameter, Variable),
                    OperationKind.LocalReference => Variable != null && SymbolEqualityComparer.Default.Equals(((ILocalReferenceOperation)operation).Local, Variable),
                    _ => false,
                };
                if (!isReference)
                {
                    return false;
                }

                var span = operation.Syntax.Span;
                return span.Start >= After && !Call.Contains(span) && !InPassedPart(span);
            }

            private bool InPassedPart(TextSpan span)
            {
                for (var i = 0; i < Passed.Count; i++)
                {
                    if (Passed[i].Syntax.Span.Contains(span))
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        // Deeper than this, the search goes on with a stack of its own: a long chain of binary operators is as deep as it is long.
        private const int MaxReferenceRecursion = 64;

        /// <summary>
        /// Is there a reference to the owner in <paramref name="parent"/>'s subtrees that may hold one? Asked for about one
        /// owner per body with handle calls: recursion over the child lists allocates nothing, where a stack of pending
        /// operations grew for each owner; past <see cref="MaxReferenceRecursion"/> levels the rest of a subtree is read
        /// with an explicit stack.
        /// </summary>
        private static bool ReferenceAfter(IOperation parent, in RestOfBody rest, int depth)
        {
            foreach (var operation in parent.ChildOperations)
            {
                if (!rest.MayHold(operation))
                {
                    continue;
                }

                var kind = operation.Kind;
                if (rest.IsReference(operation, kind))
                {
                    return true;
                }

                if (OperationTree.HasNoChildren(kind))
                {
                    continue;
                }

                if (depth < MaxReferenceRecursion ? ReferenceAfter(operation, rest, depth + 1) : ReferenceAfterDeep(operation, rest))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool ReferenceAfterDeep(IOperation subtree, in RestOfBody rest)
        {
            var pending = new Stack<IOperation>();
            pending.Push(subtree);
            while (pending.Count > 0)
            {
                foreach (var operation in pending.Pop().ChildOperations)
                {
                    if (!rest.MayHold(operation))
                    {
                        continue;
                    }

                    var kind = operation.Kind;
                    if (rest.IsReference(operation, kind))
                    {
                        return true;
                    }

                    if (!OperationTree.HasNoChildren(kind))
                    {
                        pending.Push(operation);
                    }
                }
            }

            return false;
        }

        /// <summary>A local declared by a plain declaration statement or a pattern/<c>out var</c> designation: no hidden reads.</summary>
        private static bool IsPlainLocal(ILocalSymbol local)
            => local.DeclaringSyntaxReferences.Length == 1
               && local.DeclaringSyntaxReferences[0].GetSyntax() switch
               {
                   VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: LocalDeclarationStatementSyntax declaration } } => declaration.UsingKeyword.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.None) && declaration.AwaitKeyword.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.None),
                   SingleVariableDesignationSyntax => true,
                   _ => false,
               };

        // Not OperationTree.EnclosingFunction: only a lambda counts, and an inner local function ends the search.
        private static bool InLambda(IOperation operation)
        {
            for (var current = operation.Parent; current != null; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation)
                {
                    return true;
                }

                if (current is ILocalFunctionOperation)
                {
                    return false;
                }
            }

            return false;
        }

        private static bool KeptAliveLaterInBlock(InteropContext interop, IOperation call, HandleOwner owner)
        {
            if (HandleOwnersKeptByThis.StatementInList(call) is not { Parent: IBlockOperation block } statement)
            {
                return false;
            }

            // The owner's KeepAlive is looked for first, by the shape of each later statement (no walk): most statement lists
            // hold none after the call, and where one holds another owner's, nothing below is asked.
            var index = block.Operations.IndexOf(statement);
            var kept = -1;
            for (var i = index + 1; i < block.Operations.Length; i++)
            {
                if (IsKeepAliveOf(interop, block.Operations[i], owner))
                {
                    kept = i;
                    break;
                }
            }

            if (kept < 0 || MayLeave(statement))
            {
                return false;
            }

            // Control reaches it from the call when no statement between can leave the list, and it keeps the owner's
            // object when none gives the variable another: one walk of each statement between asks both.
            return !LeavesOrOverwritesBetween(block, index + 1, kept, owner);
        }

        private static bool IsKeepAliveOf(InteropContext interop, IOperation statement, HandleOwner owner)
            => statement is IExpressionStatementOperation { Operation: IInvocationOperation { TargetMethod.Name: "KeepAlive" } keepAlive }
               && SymbolEqualityComparer.Default.Equals(keepAlive.TargetMethod.ContainingType, interop.Types.GC)
               && keepAlive.Arguments.Length == 1 && IsUseOf(KeptObject(keepAlive.Arguments[0].Value, owner), owner);

        // The two questions below close over the owner. Asked from here, their closures are made only when asked, not for
        // every owner (or every call of their caller) the compiler would make them for in place.

        /// <summary><see cref="StraightReads.ReadLater"/> for the owner's reads and overwrites.</summary>
        private static bool ReadLater(IOperation call, HandleOwner owner)
            => StraightReads.ReadLater(call, o => IsUseOf(o, owner), o => IsOverwriteOf(o, owner));

        /// <summary>
        /// Is one of the statements <paramref name="from"/> to <paramref name="to"/> (excluded) of the list a loop, or can
        /// control leave it other than by completing it, or does it give the owner's variable another object? One closure
        /// for all of them.
        /// </summary>
        private static bool LeavesOrOverwritesBetween(IBlockOperation block, int from, int to, HandleOwner owner)
        {
            Func<IOperation, bool> leavesOrOverwrites = o => Leaves(o) || IsOverwriteOf(o, owner);
            for (var i = from; i < to; i++)
            {
                var later = block.Operations[i];
                if (later is ILoopOperation || OperationTree.Any(later, leavesOrOverwrites))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>What <c>GC.KeepAlive(x)</c> keeps, as the owner is named: for a proxy's owner, <c>w.Source</c> is a use of <c>w</c>.</summary>
        private static IOperation KeptObject(IOperation argument, HandleOwner owner)
        {
            var kept = OperationTree.SkipConversions(argument);
            return owner.Member != null && kept is IFieldReferenceOperation { Instance: { } holder } field
                   && SymbolEqualityComparer.Default.Equals(field.Field.OriginalDefinition, owner.Member.OriginalDefinition)
                ? OperationTree.SkipConversions(holder)
                : kept;
        }

        /// <summary>Can control leave this statement other than by completing it: return, yield, throw, break, continue, goto?</summary>
        private static bool MayLeave(IOperation statement) => OperationTree.Any(statement, Leaves);

        // By kind (one virtual call per operation, where three interface tests were three casts): IReturnOperation is
        // Return, YieldReturn and YieldBreak, IBranchOperation is Branch, IThrowOperation is Throw.
        private static readonly Func<IOperation, bool> Leaves = operation => operation.Kind is OperationKind.Return or OperationKind.YieldReturn or OperationKind.YieldBreak
                                                                                          or OperationKind.Branch or OperationKind.Throw;

        private static IOperation? BodyBlock(ImmutableArray<IOperation> blocks)
        {
            foreach (var block in blocks)
            {
                if (block is IMethodBodyOperation || block is IConstructorBodyOperation || block is IBlockOperation)
                {
                    return block;
                }
            }

            return null;
        }

        /// <summary>A method call, or a constructor call (<c>new X(owner.Handle)</c>, <c>: base(owner.Handle)</c>) whose constructor forwards a handle to native code.</summary>
        private static bool IsCall(IOperation operation) => operation is IInvocationOperation || operation is IObjectCreationOperation { Constructor: not null };

        /// <summary>Does the argument carry handles stored in it (an array), rather than a handle itself? The handle read is then reported.</summary>
        private static bool IsRawHandleArray(IArgumentOperation argument)
            => HandleOwners.IsRawHandleArray(argument.Parameter?.Type) || HandleOwners.IsHandleRecordArray(argument.Parameter?.Type);

        /// <summary>
        /// Arguments of <paramref name="operation"/> (a call or an object creation) that carry raw handles into native
        /// code — a handle, or an array of handles — and may have an owner (<see cref="HandleOwners.MayHaveOwner"/>),
        /// with the function named in the message; null when there is none. Asked of every call of every body: most take
        /// no handle, and a list made only for those that do costs them nothing (an iterator was an allocation per call).
        /// </summary>
        /// <param name="written">For a call of a control-flow graph: what the code wrote where the graph reads a capture (<see cref="UsedAfter.Captured"/>).</param>
        private static List<(IArgumentOperation Argument, NamedFunction Function)>? HandleArguments(HandleParameters callees, HandleOwners owners, ref TreeScopeOnAsk scope, IOperation operation, Func<IOperation, IOperation>? written = null)
            => operation switch
            {
                IInvocationOperation invocation => HandleArguments(callees, owners, ref scope, operation, invocation.TargetMethod, invocation.Arguments, written),
                IObjectCreationOperation { Constructor: { } constructor } creation => HandleArguments(callees, owners, ref scope, operation, constructor, creation.Arguments, written),
                _ => null,
            };

        /// <summary>
        /// <see cref="HandleArguments(HandleParameters, HandleOwners, ref TreeScopeOnAsk, IOperation, Func{IOperation, IOperation}?)"/> of a call whose target and
        /// arguments the caller has read already (the body walk knows the operation's kind, and need not test it again).
        /// </summary>
        private static List<(IArgumentOperation Argument, NamedFunction Function)>? HandleArguments(HandleParameters callees, HandleOwners owners, ref TreeScopeOnAsk scope, IOperation operation,
                                                                                                      IMethodSymbol target, ImmutableArray<IArgumentOperation> arguments, Func<IOperation, IOperation>? written = null)
        {
            // Which parameters can carry a handle is the target's property, read once per method: for most calls the one
            // lookup says none, where each argument's parameter and type were tested at every call. Before it, the
            // arguments' own shapes: a call that passes only parameters, constants, 'this' or other calls' results (most
            // calls) hands over nothing an object owns, whatever the callee, and is not looked up.
            if (arguments.IsEmpty || !AnyMayCarryOwner(arguments, written) || callees.Of(target, arguments) is not { } callee)
            {
                return null;
            }

            List<(IArgumentOperation Argument, NamedFunction Function)>? found = null;
            foreach (var argument in arguments)
            {
                var value = written == null ? argument.Value : written(argument.Value);
                if (argument.Parameter is not { } parameter || !callee.Carries(argument, parameter, value))
                {
                    continue;
                }

                // A handle no object can own here (a parameter, a call's result, a field of an object without a
                // finalizer) gives no finding wherever it goes: the callee need not be looked up, and a body whose
                // handle calls all take such handles ends with the walk.
                if (!owners.MayHaveOwner(value))
                {
                    continue;
                }

                // The native function itself (unless it documents the parameter as ignored), or the one a wrapper forwards
                // the parameter to. The list is sized for one: a call nearly always hands over one handle, and the default
                // first array holds four.
                if (callee.Reached(parameter, scope.Get(), (operation as IInvocationOperation)?.Instance, out var throughWrapper) is { } function)
                {
                    (found ??= new List<(IArgumentOperation, NamedFunction)>(1)).Add((argument, new NamedFunction(function, throughWrapper ? target : null, operation)));
                }
            }

            return found;
        }

        /// <summary>
        /// Does some argument, read as written (a graph's capture as what it captured), pass <see cref="HandleOwners.MayCarryOwner"/>,
        /// which each argument found below must pass?
        /// </summary>
        private static bool AnyMayCarryOwner(ImmutableArray<IArgumentOperation> arguments, Func<IOperation, IOperation>? written)
        {
            foreach (var argument in arguments)
            {
                if (HandleOwners.MayCarryOwner(written == null ? argument.Value : written(argument.Value)))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsUseOf(IOperation operation, HandleOwner owner)
        {
            switch (owner.Kind)
            {
                case HandleOwnerKind.This:
                    return operation is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance };
                case HandleOwnerKind.Variable:
                    var symbol = operation switch
                    {
                        ILocalReferenceOperation local => (ISymbol)local.Local,
                        IParameterReferenceOperation parameter => parameter.Parameter,
                        _ => null,
                    };
                    return (symbol != null && SymbolEqualityComparer.Default.Equals(symbol, owner.Root)
                            && !(operation.Parent is ISimpleAssignmentOperation assignment && assignment.Target == operation))
                           || owner.IsReadThroughCarrier(operation);
                default:
                    return false;
            }
        }

        /// <summary>
        /// What an owner's path question shares with the others of its graph (<see cref="UsedAfter.OnSomePath(IOperation, Func{IOperation, bool}, Func{IOperation, bool}?, object?, Func{IOperation, bool}?)"/>):
        /// the reads it counts (its variable's, or <c>this</c>'s) and the values that hold it. An owner that is its variable
        /// or <c>this</c> shares one solve with every owner of the same root; one in a field or property chain
        /// (<c>this._block</c>, <c>Context</c>) is held by more operands than its root, and is solved on its own.
        /// </summary>
        private static object ReadKey(HandleOwner owner)
        {
            var root = (object?)owner.Root ?? owner.Kind;
            return owner.Carrier != null ? (root, owner.Owner.Syntax.ToString(), owner.Carrier)
                : OperationTree.SkipConversions(owner.Owner) is ILocalReferenceOperation or IParameterReferenceOperation or IInstanceReferenceOperation
                ? root
                : (root, owner.Owner.Syntax.ToString());
        }

        private static bool IsOverwriteOf(IOperation operation, HandleOwner owner)
            => owner.Kind == HandleOwnerKind.Variable && owner.Root != null && LiveReads.Overwrites(operation, owner.Root);

        /// <summary>
        /// Does the call also receive a <c>ref</c>, <c>out</c> or <c>in</c> to a field of the owner (<c>f(h, out _handle)</c>)?
        /// That is an interior pointer into the owner: the GC keeps the object it points into reachable (and the
        /// marshaller pins it) until the call returns.
        /// </summary>
        private static bool InteriorPointerArgument(IOperation call, HandleOwner owner)
        {
            var arguments = call switch
            {
                IInvocationOperation invocation => invocation.Arguments,
                IObjectCreationOperation creation => creation.Arguments,
                _ => ImmutableArray<IArgumentOperation>.Empty,
            };
            foreach (var argument in arguments)
            {
                if (argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out or RefKind.In
                    && argument.Value is IFieldReferenceOperation { Field.IsStatic: false, Field.ContainingType.IsReferenceType: true } field
                    && field.Instance != null && SameObject(OperationTree.SkipConversions(field.Instance), owner))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Is <paramref name="instance"/> the owner object itself: <c>this</c>, the owner variable, or the same field chain?</summary>
        private static bool SameObject(IOperation instance, HandleOwner owner)
        {
            var own = OperationTree.SkipConversions(owner.Owner);
            if (own is IInstanceReferenceOperation)
            {
                return instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance };
            }

            if (own is ILocalReferenceOperation ownLocal)
            {
                return instance is ILocalReferenceOperation local && SymbolEqualityComparer.Default.Equals(local.Local, ownLocal.Local);
            }

            if (own is IParameterReferenceOperation ownParameter)
            {
                return instance is IParameterReferenceOperation parameter && SymbolEqualityComparer.Default.Equals(parameter.Parameter, ownParameter.Parameter);
            }

            return own is IFieldReferenceOperation ownField && instance is IFieldReferenceOperation field
                   && SymbolEqualityComparer.Default.Equals(field.Field, ownField.Field) && field.Instance != null && ownField.Instance != null
                   && SameObject(OperationTree.SkipConversions(field.Instance), new HandleOwner(ownField.Instance, owner.Handle, owner.Kind, owner.Root));
        }

        /// <summary>
        /// A method that overwrites the handle field it read (<c>var h = _handle; _handle = IntPtr.Zero; destroy(h);</c>)
        /// takes the handle over: the finalizer then has nothing left to release.
        /// </summary>
        private static bool ClearsHandleField(HashSet<IFieldSymbol>? assignedFields, HandleOwner owner)
            => assignedFields != null && owner.Handle is IFieldReferenceOperation handleField && assignedFields.Contains(handleField.Field);

        /// <summary>
        /// The one walk of every body of the compilation: the calls that hand raw handles to native code, each with those
        /// arguments, in tree order, and what the questions asked of their owners need of the whole body. Every operation of
        /// every body passes here and four bodies in five have no such call, so the walk allocates nothing of its own: it
        /// recurses over the child lists (an enumerator per level only below <see cref="MaxRecursion"/> levels, where a long
        /// chain of binary operators goes on), the set of assigned fields is made for the first one, and the walk itself is
        /// a struct on the block action's stack.
        /// </summary>
        private struct BodyWalk
        {
            private const int MaxRecursion = 64;

            private readonly HandleParameters _callees;
            private readonly HandleOwners _owners;
            private TreeScopeOnAsk _scope;

            public BodyWalk(HandleParameters callees, HandleOwners owners, TreeScopeOnAsk scope)
            {
                _callees = callees;
                _owners = owners;
                _scope = scope;
            }

            /// <summary>The calls that hand raw handles to native code, in tree order; null when there is none.</summary>
            public List<(IOperation Call, List<(IArgumentOperation Argument, NamedFunction Function)> Arguments)>? HandleCalls { get; private set; }

            /// <summary>The tree's scope if a call of the body needed it (every body with a handle call); null otherwise.</summary>
            public InteropScope? Scope => _scope.IfAsked;

            /// <summary>The fields the body assigns (a method that clears the handle field it read takes the handle over); null when none.</summary>
            public HashSet<IFieldSymbol>? AssignedFields { get; private set; }

            /// <summary>Does the body hold a lambda or local function (which may capture an owner)?</summary>
            public bool HasFunctions { get; private set; }

            /// <summary>Does the body hold a goto (which may bring control back before a call)?</summary>
            public bool HasGoto { get; private set; }

            /// <summary>Reads the operations under <paramref name="root"/> in the order of <c>root.Descendants()</c>.</summary>
            public void Walk(IOperation root) => Walk(root, 0);

            private void Walk(IOperation parent, int depth)
            {
                foreach (var operation in parent.ChildOperations)
                {
                    if (!Visit(operation))
                    {
                        continue;
                    }

                    if (depth < MaxRecursion)
                    {
                        Walk(operation, depth + 1);
                    }
                    else
                    {
                        foreach (var descendant in operation.Descendants())
                        {
                            Visit(descendant);
                        }
                    }
                }
            }

            /// <summary>Reads one operation; false when it has no child operations, so that the walk need not ask for them.</summary>
            private bool Visit(IOperation operation)
            {
                // Its kind (one virtual call) sorts out the few operations this walk reads, where a test per interface
                // would be several casts per operation.
                var kind = operation.Kind;
                switch (kind)
                {
                    // The fields the body assigns, which owners read through fields ask about (ClearsHandleField).
                    case OperationKind.SimpleAssignment:
                        if (operation is ISimpleAssignmentOperation { Target: IFieldReferenceOperation assigned })
                        {
                            (AssignedFields ??= new HashSet<IFieldSymbol>(SymbolEqualityComparer.Default)).Add(assigned.Field);
                        }

                        break;

                    // And whether anything can capture a variable or jump back, so that no owner needs another walk to ask.
                    case OperationKind.AnonymousFunction:
                    case OperationKind.LocalFunction:
                        HasFunctions = true;
                        break;
                    case OperationKind.Branch:
                        if (operation is IBranchOperation { BranchKind: BranchKind.GoTo })
                        {
                            HasGoto = true;
                        }

                        break;

                    // The kind says which interface the operation is: one test, where IsCall and HandleArguments made two or four.
                    case OperationKind.Invocation:
                        if (operation is IInvocationOperation invocation)
                        {
                            Note(operation, HandleArguments(_callees, _owners, ref _scope, operation, invocation.TargetMethod, invocation.Arguments));
                        }

                        break;
                    case OperationKind.ObjectCreation:
                        if (operation is IObjectCreationOperation { Constructor: { } constructor } creation)
                        {
                            Note(operation, HandleArguments(_callees, _owners, ref _scope, operation, constructor, creation.Arguments));
                        }

                        break;
                }

                return !OperationTree.HasNoChildren(kind);
            }

            private void Note(IOperation call, List<(IArgumentOperation Argument, NamedFunction Function)>? arguments)
            {
                if (arguments != null)
                {
                    (HandleCalls ??= new List<(IOperation, List<(IArgumentOperation, NamedFunction)>)>()).Add((call, arguments));
                }
            }
        }

        /// <summary>
        /// The native function a handle argument reaches, as the message names it: the P/Invoke, or the one a wrapper of
        /// the compilation forwards the handle to, through that wrapper. The text is built for a finding only; a binding
        /// hands thousands of owned handles to calls a round, and named each of them in a new string.
        /// </summary>
        private readonly struct NamedFunction
        {
            private readonly NativeFunction _function;
            private readonly IMethodSymbol? _through;
            private readonly IOperation _call;

            public NamedFunction(NativeFunction function, IMethodSymbol? through, IOperation call)
            {
                _function = function;
                _through = through;
                _call = call;
            }

            public override string ToString()
            {
                if (_through == null)
                {
                    return _function.ToString();
                }

                // 'new Canvas' for an object creation, 'Canvas constructor' for a ': base(...)' or ': this(...)' call.
                var through = _through.MethodKind != MethodKind.Constructor ? _through.ContainingType.Name + "." + _through.Name
                    : _call is IObjectCreationOperation ? "new " + _through.ContainingType.Name
                    : _through.ContainingType.Name + " constructor";
                return _function + "' through '" + through;
            }
        }

        /// <summary>The findings a finalizer-release design accounts for, and the remedy their messages end with.</summary>
        private sealed class DesignCount
        {
            public DesignCount(string remedy)
            {
                Remedy = remedy;
            }

            public string Remedy { get; }

            // Incremented by concurrent block actions; read at the compilation's end, after all of them.
            public int Findings;
        }

        /// <summary>
        /// IG3008, the type-level view of IG1001: when the owner's class releases its raw handle in its finalizer and hands
        /// it out, the finding is one of many with one remedy. Each such finding says so, and at the end of the
        /// compilation the class is reported once, on its handle, with the number of findings it accounts for — only
        /// when it has some: a class whose callers all keep it alive is correct code.
        /// </summary>
        private sealed class DesignFindings
        {
            private readonly FinalizerReleasedHandles _designs;
            private readonly GeneratedCodeReports _generated;

            // Per design: its findings so far and the remedy its messages end with. A binding has a few designs and a
            // thousand findings: a hit adds without a lock and builds no string.
            private readonly ConcurrentDictionary<FinalizerReleasedHandle, DesignCount> _counts = ConcurrentTables.Create<FinalizerReleasedHandle, DesignCount>();
            private readonly Func<FinalizerReleasedHandle, DesignCount> _newCount = design => new DesignCount(
                "; '" + design.Type.Name + "' releases its raw handle in its finalizer (IG3008): a SafeHandle that the P/Invokes take protects every such call");

            public DesignFindings(FinalizerReleasedHandles designs, GeneratedCodeReports generated)
            {
                _designs = designs;
                _generated = generated;
            }

            /// <summary>Counts a finding of <paramref name="owner"/>; returns the remedy the IG1001 message ends with, or an empty string.</summary>
            public string Count(HandleOwner owner)
            {
                if (_designs.Of(owner) is not { } design)
                {
                    return string.Empty;
                }

                var count = _counts.TryGetValue(design, out var known) ? known : _counts.GetOrAdd(design, _newCount);
                System.Threading.Interlocked.Increment(ref count.Findings);
                return count.Remedy;
            }

            public void Report(CompilationAnalysisContext context)
            {
                foreach (var entry in _counts)
                {
                    var design = entry.Key;
                    if (design.Handle.Locations.FirstOrDefault(l => l.IsInSource) is { } location && !_generated.Drops(location, design.Handle, context.CancellationToken))
                    {
                        context.ReportDiagnostic(Diagnostic.Create(
                            Descriptors.FinalizerReleasedHandle,
                            location,
                            design.Type.Name,
                            design.Handle.Name,
                            design.Release,
                            design.ExposedThrough.Name,
                            System.Threading.Volatile.Read(ref entry.Value.Findings)));
                    }
                }
            }
        }
    }
}
