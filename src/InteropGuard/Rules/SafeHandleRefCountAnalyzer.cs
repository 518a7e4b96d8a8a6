using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text.RegularExpressions;
using InteropGuard.Flow;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Rules
{
    /// <summary>
    /// IG3006: SafeHandle reference counting broken. (a) a <c>DangerousGetHandle()</c> value reaches native code or is
    /// stored without <c>DangerousAddRef</c> before and <c>DangerousRelease</c> after; (b) a <c>DangerousAddRef</c> that
    /// is not released on every path and not handed to an owning SafeHandle.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class SafeHandleRefCountAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>Diagnostic property: <see cref="GetHandleKind"/> or <see cref="AddRefKind"/>.</summary>
        internal const string KindProperty = "Kind";

        internal const string GetHandleKind = "GetHandle";
        internal const string AddRefKind = "AddRef";

        /// <summary>Diagnostic property: "true" when the value is passed straight to a DllImport parameter of this compilation.</summary>
        internal const string PassSafeHandleProperty = "PassSafeHandle";

        private readonly FlowBudget _budget;

        public SafeHandleRefCountAnalyzer()
            : this(FlowBudget.Default)
        {
        }

        /// <summary>For tests: a budget that turns the tree shortcut off (<see cref="FlowBudget.ReadTreeReleases"/>) or counts its answers.</summary>
        internal SafeHandleRefCountAnalyzer(FlowBudget budget)
        {
            _budget = budget;
        }

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.SafeHandleRefCount);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var interop = InteropContext.For(start.Compilation, start.Options);
                if (!interop.Vocabulary.CompilationUses(InteropWords.RefCount) || interop.Types.SafeHandle is not { } safeHandle)
                {
                    return;
                }

                var members = new RefCountMembers(safeHandle, new PrivatelyCreatedFields(start.Compilation), ReferenceReleasingMembers.For(start.Compilation, safeHandle), new ConstructionOnlyMethods(MethodCallers.Of(interop)), new LockSerialisedHandles(start.Compilation), new CallerHeldHandles(interop));
                if (members.GetHandle == null && members.AddRef == null)
                {
                    return;
                }

                var budget = _budget;
                var names = new TreeTextPositions("DangerousGetHandle", "DangerousAddRef");
                WordTreeActions.RegisterOperationBlockAction(start, interop.Vocabulary, UsesRefCount, block => AnalyzeBlock(interop, members, names, budget, block));

                // Field and property initializers are not code blocks; a raw value stored there is still a store.
                WordTreeActions.RegisterOperationAction(
                    start,
                    interop.Vocabulary,
                    UsesRefCount,
                    initializer =>
                    {
                        if (interop.Vocabulary.TreeUses(initializer.Operation.Syntax.SyntaxTree, InteropWords.RefCount)
                            && initializer.Operation.Syntax.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == "DangerousGetHandle"))
                        {
                            Analyze(interop, members, budget, initializer.Operation, initializer.ContainingSymbol, initializer.ReportDiagnostic, initializer.CancellationToken);
                        }
                    },
                    OperationKind.FieldInitializer,
                    OperationKind.PropertyInitializer);
            });
        }

        private static bool UsesRefCount(InteropWords words) => (words & InteropWords.RefCount) != 0;

        private static void AnalyzeBlock(InteropContext interop, RefCountMembers members, TreeTextPositions names, FlowBudget budget, OperationBlockAnalysisContext context)
        {
            // Gates: only trees, then bodies, that name the dangerous members cost any work; the graph is the
            // driver's, built only when a reference is asked about.
            if (context.OperationBlocks.FirstOrDefault(b => b is IMethodBodyOperation || b is IConstructorBodyOperation || b is IBlockOperation) is not { } bodyBlock
                || !interop.Vocabulary.TreeUses(bodyBlock.Syntax.SyntaxTree, InteropWords.RefCount))
            {
                return;
            }

            // The per-tree text positions first: in a tree that uses the members, most bodies do not name them.
            var root = OperationTree.Root(bodyBlock);
            if (!names.SpanMayHold(root.Syntax.SyntaxTree, root.Syntax.FullSpan) || !root.Syntax.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && (t.ValueText == "DangerousGetHandle" || t.ValueText == "DangerousAddRef")))
            {
                return;
            }

            var graph = ControlFlowGraphs.HasGraph(root) ? () => context.GetControlFlowGraph(bodyBlock) : (System.Func<ControlFlowGraph?>?)(() => null);
            Analyze(interop, members, budget, root, context.OwningSymbol, context.ReportDiagnostic, context.CancellationToken, graph);
        }

        private static void Analyze(InteropContext interop, RefCountMembers members, FlowBudget budget, IOperation root, ISymbol owningSymbol, System.Action<Diagnostic> report, System.Threading.CancellationToken cancellationToken, System.Func<ControlFlowGraph?>? driverGraph = null)
        {
            // The handle's own release code runs when the count is already zero; nothing can dispose it concurrently.
            if (owningSymbol is IMethodSymbol { Name: "ReleaseHandle" } owner && interop.Types.IsHandleWrapper(owner.ContainingType))
            {
                return;
            }

            var scope = interop.ForTree(root.Syntax.SyntaxTree);
            var uses = new ValueUses(interop, scope);
            var graphs = new ReceiverReferences(root, uses, new ThrowPoints(interop, scope.Catalogue), members.IsRelease, i => members.IsRefCountMember(i.TargetMethod), cancellationToken, driverGraph);
            foreach (var invocation in root.DescendantsAndSelf().OfType<IInvocationOperation>())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var target = invocation.TargetMethod.OriginalDefinition;
                if (invocation.Instance == null || invocation.Instance is IInstanceReferenceOperation)
                {
                    continue;
                }

                if (SymbolEqualityComparer.Default.Equals(target, members.GetHandle))
                {
                    var diagnostic = AnalyzeGetHandle(interop, members, budget, uses, graphs, root, invocation, owningSymbol, cancellationToken);
                    if (diagnostic != null)
                    {
                        report(diagnostic);
                    }
                }
                else if (SymbolEqualityComparer.Default.Equals(target, members.AddRef))
                {
                    var diagnostic = AnalyzeAddRef(interop, members, graphs, root, invocation, owningSymbol, cancellationToken);
                    if (diagnostic != null)
                    {
                        report(diagnostic);
                    }
                }
            }
        }

        // ---- (a) DangerousGetHandle ----

        private sealed class Sink
        {
            public Sink(IOperation site, string description, string consequence, bool directDllImportArgument, bool stored = false)
            {
                Site = site;
                Description = description;
                Consequence = consequence;
                DirectDllImportArgument = directDllImportArgument;
                Stored = stored;
            }

            /// <summary>The value is stored (a field, element or out parameter), not only passed to a call.</summary>
            public bool Stored { get; }

            public IOperation Site { get; }
            public string Description { get; }
            public string Consequence { get; }
            public bool DirectDllImportArgument { get; }
        }

        private static Diagnostic? AnalyzeGetHandle(InteropContext interop, RefCountMembers members, FlowBudget budget, ValueUses uses, ReceiverReferences graphs, IOperation root, IInvocationOperation getHandle, ISymbol owningSymbol, System.Threading.CancellationToken cancellationToken)
        {
            // Disposing a handle that releases nothing cannot invalidate the value: there is nothing to protect.
            if (interop.HandleReleases.ReleasesNothing(OperationTree.SkipConversions(getHandle.Instance!).Type))
            {
                return null;
            }

            // Reached through a private field whose object only this class creates: only the class itself can dispose
            // it, so "another thread disposes it during the use" needs a concurrent call into the owner — the owner's
            // own thread safety, not the reference count's.
            if (IsPrivatelyOwned(members.Fields, getHandle.Instance!, cancellationToken))
            {
                return null;
            }

            var function = OperationTree.EnclosingFunction(getHandle, root);

            // A handle the object itself created, used while the object is being built: nobody else holds the object yet.
            if (function == root && owningSymbol is IMethodSymbol owner && IsOwnHandleDuringConstruction(members, getHandle.Instance!, owner, cancellationToken))
            {
                return null;
            }

            var handle = Display(getHandle.Instance!.Syntax);
            var sinks = new List<Sink>();
            Follow(interop, uses, function, getHandle, handle, sinks, new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default));

            // A value kept only to be printed never reaches native code.
            sinks.RemoveAll(s => s.Site is ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Field: { } field } }
                                 && TextOnlyFields.IsOnlyPrinted(interop.Compilation, field, cancellationToken));
            if (sinks.Count == 0)
            {
                return null;
            }

            if (IsPrivateUsingLocal(UnsharedHandles.OwnersHandle(interop, getHandle.Instance!), function) || IsSerialisedWithRelease(members, getHandle, sinks, cancellationToken) || IsUnshared(interop, uses, root, function, getHandle, sinks))
            {
                return null;
            }

            if (IsProtected(members, budget, graphs, function, getHandle, sinks))
            {
                return null;
            }

            // The caller's handle, read for native calls the function makes: safe when every caller holds it across the call.
            if (function == root && sinks.All(s => !s.Stored) && members.Callers.IsHeldByEveryCaller(HandleViews.Owner(interop, getHandle.Instance!), root, owningSymbol, cancellationToken))
            {
                return null;
            }

            // A field of a holder only a 'using' holds, read for native calls or a struct the using's scope keeps:
            // only the thread inside the using can dispose the handle, after the raw value is dead.
            if (function == root && owningSymbol is IMethodSymbol reader
                && UsingOnlyHolders.Of(interop).IsHeldOnlyByUsing(getHandle.Instance!, reader, sinks.Where(s => s.Stored).Select(s => s.Site).ToList(), cancellationToken))
            {
                return null;
            }

            var first = sinks.OrderBy(s => s.Site.Syntax.SpanStart).First();
            var properties = ImmutableDictionary.CreateBuilder<string, string?>();
            properties[KindProperty] = GetHandleKind;
            properties[PassSafeHandleProperty] = sinks.Count == 1 && first.DirectDllImportArgument ? "true" : "false";
            return Diagnostic.Create(
                Descriptors.SafeHandleRefCount,
                getHandle.Syntax.GetLocation(),
                properties.ToImmutable(),
                "'" + Display(getHandle.Syntax) + "' " + first.Description + " without DangerousAddRef/DangerousRelease around the use",
                first.Consequence);
        }

        // Protected: on every path to the read and to each use, a DangerousAddRef on the same handle has returned
        // (it throws rather than fail) and no DangerousRelease has run since. The shared engine answers per AddRef.
        private static bool IsProtected(RefCountMembers members, FlowBudget budget, ReceiverReferences graphs, IOperation function, IInvocationOperation getHandle, List<Sink> sinks)
        {
            var path = ReceiverReference.PathOf(getHandle.Instance);
            if (path.IsDefault)
            {
                return false;
            }

            var sites = new List<SyntaxNode>();
            foreach (var site in new IOperation[] { getHandle }.Concat(sinks.Select(s => s.Site)))
            {
                sites.AddRange(ProbeSites(function, site));
            }

            foreach (var addRef in function.Descendants().OfType<IInvocationOperation>())
            {
                if (addRef.Instance == null
                    || !SymbolEqualityComparer.Default.Equals(addRef.TargetMethod.OriginalDefinition, members.AddRef)
                    || !ReceiverReference.SamePath(ReceiverReference.PathOf(addRef.Instance), path))
                {
                    continue;
                }

                var distinct = sites.Distinct().ToList();

                // The textbook AddRef; try { uses } finally { Release } needs no graph (HeldReferences agrees with the engine).
                if (budget.ReadTreeReleases && HeldReferences.IsHeldAt(addRef, distinct, path, members.IsRelease))
                {
                    budget.CountGuaranteedSite();
                    return true;
                }

                if (graphs.IsHeldAt(addRef, distinct))
                {
                    return true;
                }
            }

            return false;
        }

        // A use inside a lambda is probed where the lambda is created, one inside a local function at its calls:
        // a callback run synchronously sees the reference held where it was made.
        private static IEnumerable<SyntaxNode> ProbeSites(IOperation function, IOperation site)
        {
            var outermost = OperationTree.OutermostNestedFunction(site, function);
            switch (outermost)
            {
                case null:
                    return new[] { site.Syntax };
                case ILocalFunctionOperation localFunction:
                    var calls = function.Descendants().OfType<IInvocationOperation>()
                        .Where(i => SymbolEqualityComparer.Default.Equals(i.TargetMethod.OriginalDefinition, localFunction.Symbol) && !OperationTree.IsInNestedFunction(i, function))
                        .Select(i => i.Syntax)
                        .ToList();
                    return calls.Count == 0 ? new[] { site.Syntax } : calls;
                default:
                    return new[] { outermost.Syntax };
            }
        }

        private static void Follow(InteropContext interop, ValueUses uses, IOperation function, IOperation value, string handle, List<Sink> sinks, HashSet<ILocalSymbol> visited)
        {
            var native = NativeDelegateArgument(interop, value);
            if (native != null)
            {
                sinks.Add(new Sink(native, "is passed to '" + native.TargetMethod.ContainingType.Name + "'", Concurrent(handle, native.TargetMethod.ContainingType.Name), directDllImportArgument: false));
                return;
            }

            // '(int)h.DangerousGetHandle()' is the same descriptor as a Unix fd: follow IntPtr's own narrowing operators.
            while (value.Parent is IConversionOperation conversion
                   && (conversion.OperatorMethod == null || IsNativeInteger(conversion.OperatorMethod.ContainingType)))
            {
                value = conversion;
            }

            var use = uses.Classify(value);
            switch (use.Kind)
            {
                case ValueUseKind.Copy when use.CopyTarget is ILocalSymbol local:
                    if (!visited.Add(local))
                    {
                        return;
                    }

                    foreach (var reference in function.Descendants().OfType<ILocalReferenceOperation>())
                    {
                        if (SymbolEqualityComparer.Default.Equals(reference.Local, local) && !IsWrittenTo(reference))
                        {
                            Follow(interop, uses, function, reference, handle, sinks, visited);
                        }
                    }

                    return;

                case ValueUseKind.Use when use.NativeTarget is { } target:
                    var name = target.Function.Method.Name;
                    var through = use.Site is IInvocationOperation call && HeldNativeFunctions.Of(interop).CalledBy(call) == null
                        ? " through '" + call.TargetMethod.ContainingType.Name + "." + call.TargetMethod.Name + "'"
                        : string.Empty;
                    var direct = through.Length == 0 && !target.Function.IsLibraryImport && ReferenceEquals(value.Parent, FindArgument(value))
                        && value is IInvocationOperation && target.Parameter.RefKind == RefKind.None
                        && target.Parameter.Type.SpecialType == SpecialType.System_IntPtr
                        && target.Function.Method.DeclaringSyntaxReferences.Length > 0;
                    sinks.Add(new Sink(use.Site, "is passed to '" + name + "'" + through, Concurrent(handle, name), direct));
                    return;

                case ValueUseKind.Escape:
                    var stored = StoreTarget(use.Site);
                    if (stored != null)
                    {
                        sinks.Add(new Sink(use.Site, "is stored in " + stored, "another thread may dispose '" + handle + "' while the stored value is still used; the released handle value can be reused", directDllImportArgument: false, stored: true));
                    }
                    else if (use.Site is IFunctionPointerInvocationOperation pointerCall && interop.NativeFunctions.IsNativeTransition(pointerCall))
                    {
                        sinks.Add(new Sink(use.Site, "is passed to an unmanaged function pointer", Concurrent(handle, "the native call"), directDllImportArgument: false));
                    }

                    return;
            }
        }

        /// <summary>
        /// <c>_event.SafeWaitHandle</c>: the handle of an object in a private field of <c>this</c> that only this class
        /// creates. (A SafeHandle held in the field itself stays a finding: the textbook shape, where the owner may be
        /// finalized during the call.)
        /// </summary>
        private static bool IsPrivatelyOwned(PrivatelyCreatedFields fields, IOperation receiver, System.Threading.CancellationToken cancellationToken)
        {
            if (OperationTree.SkipConversions(receiver) is not IPropertyReferenceOperation { Instance: { } owner, Arguments.Length: 0 })
            {
                return false;
            }

            return OperationTree.SkipConversions(owner) is IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } field
                   && fields.IsCreatedOnlyHere(field.Field, cancellationToken);
        }

        /// <summary>
        /// <c>handle.DangerousGetHandle()</c> on a private SafeHandle field of <c>this</c> that only this class creates, in a
        /// constructor or a private method only constructors call (<see cref="ConstructionOnlyMethods"/>): until the constructor
        /// returns, only the frame creating the object can reach it, and that frame keeps it alive.
        /// </summary>
        private static bool IsOwnHandleDuringConstruction(RefCountMembers members, IOperation receiver, IMethodSymbol owner, System.Threading.CancellationToken cancellationToken)
            => OperationTree.SkipConversions(receiver) is IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } field
               && SymbolEqualityComparer.Default.Equals(field.Field.ContainingType.OriginalDefinition, owner.ContainingType?.OriginalDefinition)
               && members.Fields.IsCreatedOnlyHere(field.Field, cancellationToken)
               && members.Construction.RunsOnlyDuringConstruction(owner, cancellationToken);

        /// <summary>
        /// <c>lock (_gate) { ... Native.Write(_handle.DangerousGetHandle()); ... }</c> where <c>_handle</c> is a private SafeHandle
        /// field only this class creates, never hands out, and releases only under the same lock
        /// (<see cref="LockSerialisedHandles"/>): the release cannot overlap the use. The object is used again inside the
        /// lock after the last use of the value, so it is not finalized during the call either.
        /// </summary>
        private static bool IsSerialisedWithRelease(RefCountMembers members, IInvocationOperation getHandle, List<Sink> sinks, System.Threading.CancellationToken cancellationToken)
        {
            if (OperationTree.SkipConversions(getHandle.Instance!) is not IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } field
                || !members.Fields.IsCreatedOnlyHere(field.Field, cancellationToken))
            {
                return false;
            }

            for (var current = getHandle.Parent; current != null && !OperationTree.IsFunction(current); current = current.Parent)
            {
                if (current is ILockOperation lockOperation && LockSerialisedHandles.LockedSymbol(lockOperation) is { } locked
                    && sinks.All(s => LockSerialisedHandles.IsUnder(s.Site, locked))
                    && UsesOwnerAfter(lockOperation.Body, sinks.Max(s => s.Site.Syntax.Span.End))
                    && members.Locks.IsReleasedOnlyUnder(field.Field, locked, cancellationToken))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// A handle no other thread can reach yet (<see cref="UnsharedHandles"/>): a local this run of the function made,
        /// handed to nobody before the uses and read after them. Only this thread could dispose it, so no reference is needed.
        /// A raw value stored into a field of <c>this</c>, a static, an element or an out parameter outlives the function
        /// beside a handle that may be handed out with it: that stays a finding; one stored into a local struct or through a
        /// local pointer counts only when the handle leaves the function by its <c>return</c>, with whatever holds the value.
        /// </summary>
        private static bool IsUnshared(InteropContext interop, ValueUses uses, IOperation root, IOperation function, IInvocationOperation getHandle, List<Sink> sinks)
        {
            var stores = sinks.Where(s => s.Stored).ToList();
            var sites = new List<IOperation> { getHandle };
            sites.AddRange(sinks.Select(s => s.Site));
            var unshared = new UnsharedHandles(interop, uses);
            if (stores.All(s => UnsharedHandles.IsStoreIntoLocalMemory(s.Site)) && unshared.IsUnsharedAt(getHandle.Instance!, function, sites, handedOnlyByReturn: stores.Count > 0))
            {
                return true;
            }

            // An element of an array field the constructor is filling, its raw value gathered in a local array for a native
            // call: the array dies with the constructor, the handles stay with the object.
            var nativeUses = sinks.Where(s => !s.Stored).Select(s => s.Site).ToList();
            return (stores.All(s => UnsharedHandles.IsStoreIntoLocalArray(interop, s.Site, function, nativeUses))
                    && unshared.IsUnsharedDuringConstruction(getHandle.Instance!, function, sites, nativeUses))
                   || IsHeldByPrivateDisposer(interop, uses, root, getHandle, sinks, sites);
        }

        /// <summary>
        /// A buffer made for the call and put into a disposer (<see cref="DisposerHeldHandles"/>). Held by a local disposer
        /// the function disposes with <c>using</c>: nobody else can dispose it before the scope ends, so native calls made
        /// in it and stores into a local struct that the function does not return are safe. Held by the caller's disposer (a
        /// parameter): the raw value may only be stored into local memory, which goes back to the caller beside the handle.
        /// </summary>
        private static bool IsHeldByPrivateDisposer(InteropContext interop, ValueUses uses, IOperation root, IInvocationOperation getHandle, List<Sink> sinks, List<IOperation> sites)
        {
            // In a lambda (a request built per element, 'items.Select(x => new S { h = bag.Keep(...).DangerousGetHandle() })'),
            // only a straight adder call into the caller's disposer, stored into the struct the lambda makes, is read.
            var nested = sites.Any(s => OperationTree.IsInNestedFunction(s, root));
            var function = root;
            if (nested && OperationTree.SkipConversions(getHandle.Instance!) is ILocalReferenceOperation)
            {
                return false;
            }

            var structs = new List<ILocalSymbol>();
            var intoLocalMemory = true;
            foreach (var sink in sinks.Where(s => s.Stored))
            {
                intoLocalMemory &= UnsharedHandles.IsStoreIntoLocalMemory(sink.Site);
                if (UnsharedHandles.StoredLocal(sink.Site) is { } local)
                {
                    structs.Add(local);
                }
                else if (!UnsharedHandles.IsStoreIntoLocalMemory(sink.Site) && !UnsharedHandles.IsStoreIntoCallArgument(sink.Site))
                {
                    return false;
                }
            }

            var structReferences = function.Descendants().OfType<ILocalReferenceOperation>().Where(r => structs.Contains(r.Local, SymbolEqualityComparer.Default)).ToList();
            var storedFields = new HashSet<IFieldSymbol>(sinks.Select(s => s.Site).OfType<ISimpleAssignmentOperation>().Select(a => a.Target).OfType<IFieldReferenceOperation>().Select(f => f.Field), SymbolEqualityComparer.Default);
            var lastUse = sites.Concat(structReferences).Max(s => s.Syntax.Span.End);
            var (kind, _) = new DisposerHeldHandles(interop, uses).HolderOf(getHandle.Instance!, function, uses, sites, lastUse);
            switch (kind)
            {
                case DisposerHeldHandles.HolderKind.Local:
                    // The struct must not outlive the disposer: every store is into a local struct the function does not return.
                    // (A lambda may run after the disposer's scope has ended.)
                    return !nested
                           && sinks.Where(s => s.Stored).All(s => UnsharedHandles.StoredLocal(s.Site) != null || UnsharedHandles.IsStoreIntoCallArgument(s.Site))
                           && structReferences.All(r => DisposerHeldHandles.StaysLocal(r, function, storedFields));
                case DisposerHeldHandles.HolderKind.Caller:
                    // Local memory, or a request object the function made that stays in it (NtCoreLib's enumeration
                    // templates, classes copied into a buffer of the caller's disposer).
                    return sinks.All(s => s.Stored)
                           && (intoLocalMemory || (!nested && sinks.All(s => UnsharedHandles.StoredLocal(s.Site) != null) && structReferences.All(r => DisposerHeldHandles.StaysLocal(r, function, storedFields))));
                default:
                    return false;
            }
        }

        private static bool UsesOwnerAfter(IOperation body, int position)
            => body.Descendants().Any(o => o is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }
                                           && o.Syntax.SpanStart >= position && !OperationTree.IsInNestedFunction(o, body));

        // A handle the function opened with 'using' and never hands to anyone cannot be disposed by another thread,
        // and the using keeps it from being finalized during the call.
        private static bool IsPrivateUsingLocal(IOperation receiver, IOperation function)
        {
            if (OperationTree.SkipConversions(receiver) is not ILocalReferenceOperation local)
            {
                return false;
            }

            var declared = function.Descendants().Any(o =>
                o is IUsingDeclarationOperation usingDeclaration && usingDeclaration.DeclarationGroup.GetDeclaredVariables().Contains(local.Local, SymbolEqualityComparer.Default)
                || o is IUsingOperation { Resources: IVariableDeclarationGroupOperation group } && group.GetDeclaredVariables().Contains(local.Local, SymbolEqualityComparer.Default));
            if (!declared)
            {
                return false;
            }

            foreach (var reference in function.Descendants().OfType<ILocalReferenceOperation>())
            {
                if (!SymbolEqualityComparer.Default.Equals(reference.Local, local.Local))
                {
                    continue;
                }

                if (OperationTree.IsInNestedFunction(reference, function)
                    || !(reference.Parent is IInvocationOperation call && call.Instance == reference || reference.Parent is IPropertyReferenceOperation property && property.Instance == reference
                         || OperationTree.IsNullTested(reference)))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool IsNativeInteger(ITypeSymbol? type)
            => type != null && (type.SpecialType == SpecialType.System_IntPtr || type.SpecialType == SpecialType.System_UIntPtr);

        private static string Concurrent(string handle, string function)
            => "another thread may dispose '" + handle + "' during '" + function + "'; the released handle value can be reused";

        private static IArgumentOperation? FindArgument(IOperation value)
        {
            var current = OperationTree.WithConversions(value);

            return current.Parent as IArgumentOperation;
        }

        // An invoke of a delegate obtained from a native function pointer: ValueUses does not name a native target for it.
        private static IInvocationOperation? NativeDelegateArgument(InteropContext interop, IOperation value)
            => FindArgument(value) is { Parent: IInvocationOperation invocation } argument
               && argument.Parameter?.RefKind == RefKind.None
               && invocation.TargetMethod.MethodKind == MethodKind.DelegateInvoke
               && interop.NativeFunctions.IsNativeTransition(invocation)
                ? invocation
                : null;

        private static string? StoreTarget(IOperation site)
        {
            switch (site)
            {
                case ISimpleAssignmentOperation assignment:
                    switch (assignment.Target)
                    {
                        case IFieldReferenceOperation field:
                            return "field '" + field.Field.ContainingType.Name + "." + field.Field.Name + "'";
                        case IPropertyReferenceOperation property when property.Arguments.Length == 0:
                            return "property '" + property.Property.ContainingType.Name + "." + property.Property.Name + "'";
                        case IArrayElementReferenceOperation:
                            return "an array element";
                        case IParameterReferenceOperation parameter when parameter.Parameter.RefKind == RefKind.Out || parameter.Parameter.RefKind == RefKind.Ref:
                            return "the " + (parameter.Parameter.RefKind == RefKind.Out ? "out" : "ref") + " parameter '" + parameter.Parameter.Name + "'";
                        default:
                            return null;
                    }

                case IFieldInitializerOperation initializer when initializer.InitializedFields.Length == 1:
                    var initialized = initializer.InitializedFields[0];
                    return "field '" + initialized.ContainingType.Name + "." + initialized.Name + "'";
                default:
                    return null;
            }
        }

        private static bool IsWrittenTo(ILocalReferenceOperation reference)
            => reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference
               || reference.Parent is IArgumentOperation { Parameter.RefKind: RefKind.Out };

        // ---- (b) DangerousAddRef ----

        private static Diagnostic? AnalyzeAddRef(InteropContext interop, RefCountMembers members, ReceiverReferences graphs, IOperation root, IInvocationOperation addRef, ISymbol owningSymbol, System.Threading.CancellationToken cancellationToken)
        {
            // A success flag kept in a field or a ref parameter says the release is somebody else's job.
            if (addRef.Arguments.Length != 1 || OperationTree.SkipConversions(addRef.Arguments[0].Value) is not ILocalReferenceOperation flag)
            {
                return null;
            }

            var receiver = addRef.Instance!;
            var function = OperationTree.EnclosingFunction(addRef, root);
            if (FlagIsHandedOn(function, flag.Local))
            {
                return null;
            }

            // The receiver by symbols (local, parameter, field or property of this, of a type or of a local, an
            // array element by its index): any other shape cannot be matched with its release, so the rule stays silent.
            var path = ReceiverReference.PathOf(receiver);
            if (path.IsDefault || IsHandedToOwner(interop, function, receiver, path))
            {
                return null;
            }

            var allReleases = function.Descendants().OfType<IInvocationOperation>()
                .Where(i => i.Instance != null && members.IsRelease(i) && ReceiverReference.SamePath(ReceiverReference.PathOf(i.Instance), path))
                .ToList();

            // A release in a lambda or local function runs whenever that is invoked: the reference is handed on.
            if (allReleases.Any(r => OperationTree.IsInNestedFunction(r, function)))
            {
                return null;
            }

            var handle = Display(receiver.Syntax);
            var what = "the reference count of '" + handle + "' stays raised and its handle is never released";
            if (allReleases.Count == 0)
            {
                if (Escapes(interop, function, path) || IsHeldForTheObject(members, function, path, owningSymbol, cancellationToken))
                {
                    return null;
                }

                return Create(addRef, "'" + handle + ".DangerousAddRef' is never matched by 'DangerousRelease'", what);
            }

            // "Released on every path, exceptional ones included" is the shared engine's question.
            if (graphs.Analyze(addRef, flag.Local) is not { } result)
            {
                return null;
            }

            // A return that hands the handle (or its raw value) to the caller hands over the reference with it.
            var leaks = result.AllLeaks.Where(l => !(l.Kind is LeakKind.Return or LeakKind.EarlyReturn && ReturnsHandle(function, l.Site, path)));

            // Released only in catch handlers: on success the reference is kept on purpose (handed on to whoever
            // releases it later); only the exceptions those handlers do not catch leak it.
            if (allReleases.All(r => r.Syntax.Ancestors().FirstOrDefault(a => a is FinallyClauseSyntax || a is CatchClauseSyntax) is CatchClauseSyntax))
            {
                leaks = leaks.Where(l => l.Kind == LeakKind.MayThrow || l.Kind == LeakKind.Throw);
            }

            var leak = leaks.FirstOrDefault();
            return leak == null ? null : Create(addRef, "'" + handle + ".DangerousAddRef' is not matched by 'DangerousRelease' " + Describe(leak), what);
        }

        private static bool ReturnsHandle(IOperation function, SyntaxNode? site, ImmutableArray<ISymbol> path)
            => site != null && ReceiverReference.IsHandedToCaller(function, path, site);

        private static string Describe(LeakPath leak)
        {
            switch (leak.Kind)
            {
                case LeakKind.MayThrow when leak.Site != null:
                    return "if '" + Shorten(leak.Site) + "' throws";
                case LeakKind.Throw when leak.Site != null:
                case LeakKind.Return when leak.Site != null:
                    return "on the '" + Shorten(leak.Site) + "'" + OperationNames.Context(leak.Site);
                case LeakKind.EarlyReturn when leak.Site != null:
                    return "on the early '" + Shorten(leak.Site) + "'" + OperationNames.Context(leak.Site);
                case LeakKind.EarlyReturn:
                    return "on an early 'return'";
                case LeakKind.NextIteration:
                    return "before it runs again in the next loop iteration";
                default:
                    return "on a path that reaches the end of the method";
            }
        }

        // The success flag copied to a field, an out parameter or returned: whoever receives it releases later.
        private static bool FlagIsHandedOn(IOperation function, ILocalSymbol flag)
        {
            foreach (var reference in function.Descendants().OfType<ILocalReferenceOperation>())
            {
                if (!SymbolEqualityComparer.Default.Equals(reference.Local, flag))
                {
                    continue;
                }

                var parent = OperationTree.WithEveryConversion(reference).Parent;

                if (parent is IReturnOperation
                    || parent is ISimpleAssignmentOperation assignment && assignment.Target != reference && !(assignment.Target is ILocalReferenceOperation))
                {
                    return true;
                }
            }

            return false;
        }

        private static Diagnostic Create(IInvocationOperation addRef, string finding, string consequence)
        {
            var properties = ImmutableDictionary<string, string?>.Empty.Add(KindProperty, AddRefKind);
            return Diagnostic.Create(Descriptors.SafeHandleRefCount, addRef.Syntax.GetLocation(), properties, finding, consequence);
        }

        private static bool IsHandedToOwner(InteropContext interop, IOperation function, IOperation receiver, ImmutableArray<ISymbol> path)
        {
            if (OperationTree.SkipConversions(receiver) is IFieldReferenceOperation field && ReleasedByItsType(field.Field))
            {
                return true;
            }

            foreach (var assignment in function.Descendants().OfType<ISimpleAssignmentOperation>())
            {
                if (assignment.Target is IFieldReferenceOperation target
                    && interop.Types.IsHandleWrapper(target.Field.ContainingType)
                    && ReceiverReference.SamePath(ReceiverReference.PathOf(assignment.Value), path)
                    && ReleasedByItsType(target.Field))
                {
                    return true;
                }
            }

            return false;
        }

        // The owner releases the reference it holds: some member of the field's type calls DangerousRelease on it.
        private static bool ReleasedByItsType(IFieldSymbol field)
        {
            foreach (var reference in field.ContainingType.DeclaringSyntaxReferences)
            {
                foreach (var call in reference.GetSyntax().DescendantNodes().OfType<InvocationExpressionSyntax>())
                {
                    if (call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DangerousRelease" } access
                        && Key(access.Expression) == field.Name)
                    {
                        return true;
                    }

                    if (call.Expression is MemberBindingExpressionSyntax { Name.Identifier.ValueText: "DangerousRelease" }
                        && call.Parent?.Parent is ConditionalAccessExpressionSyntax conditional && Key(conditional.Expression) == field.Name)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>
        /// A reference taken on a handle the object itself holds (a local read from <c>this[i]</c> or a member of <c>this</c>)
        /// while another member of its class gives such references back (<see cref="ReferenceReleasingMembers"/>: by symbol,
        /// through helpers too): the object keeps the count raised on purpose, as a lease it gives back later (Tmds.DBus'
        /// <c>RefHandles</c>, released in its dispose path). So is a reference an <c>ICustomMarshaler</c> takes in
        /// <c>MarshalManagedToNative</c> when another member of the marshaller gives references back: the runtime calls its
        /// <c>CleanUpNativeData</c> after the native call, which is where the contract puts the release.
        /// </summary>
        private static bool IsHeldForTheObject(RefCountMembers members, IOperation function, ImmutableArray<ISymbol> path, ISymbol owningSymbol, System.Threading.CancellationToken cancellationToken)
        {
            if (path.Length != 1 || path[0] is not ILocalSymbol local)
            {
                return false;
            }

            // A custom marshaller's leases: the marshaller calls CleanUpNativeData with the native data after the call.
            if (local.ContainingType is { } marshaller && members.Leases is { } given && CustomMarshallers.IsMarshallingToNative(owningSymbol)
                && given.ReleasesElsewhere(marshaller, owningSymbol, cancellationToken))
            {
                return true;
            }

            var fromTheObject = function.Descendants().OfType<IVariableDeclaratorOperation>()
                .Any(d => SymbolEqualityComparer.Default.Equals(d.Symbol, local)
                          && d.Initializer?.Value is { } value
                          && OperationTree.SkipConversions(value) switch
                          {
                              IPropertyReferenceOperation property => property.Instance is IInstanceReferenceOperation,
                              IFieldReferenceOperation field => field.Instance is IInstanceReferenceOperation,
                              IArrayElementReferenceOperation element => OperationTree.SkipConversions(element.ArrayReference) is IFieldReferenceOperation { Instance: IInstanceReferenceOperation },
                              _ => false,
                          });
            return fromTheObject && local.ContainingType is { } type && members.Leases is { } leases
                   && leases.ReleasesElsewhere(type, owningSymbol, cancellationToken);
        }

        // Returned, stored, or given to a constructor or a managed method: the release may be done by whoever receives
        // the handle (a helper such as 'ReleaseRef(h)' included). Only a P/Invoke argument keeps it here.
        private static bool Escapes(InteropContext interop, IOperation function, ImmutableArray<ISymbol> path)
        {
            if (path.Length != 1 || !(path[0] is ILocalSymbol || path[0] is IParameterSymbol))
            {
                return true;
            }

            // The raw value returned through a local (an "add a reference and get the handle" helper): the caller
            // receives the reference with the value and gives it back.
            if (ReceiverReference.IsHandedToCaller(function, path))
            {
                return true;
            }

            foreach (var operation in function.Descendants())
            {
                if (!(operation is ILocalReferenceOperation || operation is IParameterReferenceOperation)
                    || !ReceiverReference.SamePath(ReceiverReference.PathOf(operation), path))
                {
                    continue;
                }

                // A branch of '?:' or '??' goes where the whole expression goes (`Kept = gotRef ? handle : fallback;`).
                var value = OperationTree.WithBranches(operation);
                var parent = value.Parent;

                if (parent is IInvocationOperation getHandle && getHandle.Parent is { } use
                    && (use is IReturnOperation || (use is IConversionOperation && use.Parent is IReturnOperation))
                    && ReceiverReference.HandsOver(getHandle, path))
                {
                    return true;
                }

                switch (parent)
                {
                    case IReturnOperation:
                    case ISimpleAssignmentOperation assignment when assignment.Target != value && !(assignment.Target is ILocalReferenceOperation):
                    case IArgumentOperation { Parent: IObjectCreationOperation }:
                    case IArgumentOperation { Parent: IInvocationOperation call } when HeldNativeFunctions.Of(interop).CalledBy(call) == null:
                    case IFieldInitializerOperation:
                    case IPropertyInitializerOperation:
                        return true;
                }
            }

            return false;
        }

        // ---- shared ----

        private static readonly Regex Whitespace = new Regex(@"\s+");

        /// <summary>The same handle expression, spelled with or without <c>this.</c> and whitespace.</summary>
        internal static string Key(SyntaxNode expression)
        {
            if (expression is ExpressionSyntax value)
            {
                expression = OperationTree.SkipParentheses(value);
            }

            // Null-forgiving operators do not change which handle is meant.
            var text = Whitespace.Replace(expression.ToString(), string.Empty).Replace("!", string.Empty);
            return text.StartsWith("this.", System.StringComparison.Ordinal) ? text.Substring(5) : text;
        }

        private static string Display(SyntaxNode node) => Shorten(node);

        private static string Shorten(SyntaxNode node)
        {
            var text = Whitespace.Replace(node.ToString(), " ").TrimEnd(';').Trim();
            if (text.Length <= 60)
            {
                return text;
            }

            if (node is InvocationExpressionSyntax invocation)
            {
                return invocation.Expression + "(...)";
            }

            return text.Substring(0, 57) + "...";
        }

        private sealed class RefCountMembers
        {
            public RefCountMembers(INamedTypeSymbol safeHandle, PrivatelyCreatedFields fields, ReferenceReleasingMembers? leases, ConstructionOnlyMethods construction, LockSerialisedHandles locks, CallerHeldHandles callers)
            {
                Callers = callers;
                Locks = locks;
                Construction = construction;
                Fields = fields;
                Leases = leases;
                GetHandle = safeHandle.GetMembers("DangerousGetHandle").OfType<IMethodSymbol>().FirstOrDefault();
                AddRef = safeHandle.GetMembers("DangerousAddRef").OfType<IMethodSymbol>().FirstOrDefault();
                Release = safeHandle.GetMembers("DangerousRelease").OfType<IMethodSymbol>().FirstOrDefault();
            }

            /// <summary>Which private fields hold objects only their class creates (asked of a handle's receiver).</summary>
            public PrivatelyCreatedFields Fields { get; }

            /// <summary>Which private SafeHandle fields are released only under a given lock.</summary>
            public LockSerialisedHandles Locks { get; }

            /// <summary>Which parameters' handles every caller holds across the call (asked of a finding about to be reported).</summary>
            public CallerHeldHandles Callers { get; }

            /// <summary>Which methods run only while their object is being built (asked of a use of the object's own handle).</summary>
            public ConstructionOnlyMethods Construction { get; }

            /// <summary>Which members of a class give SafeHandle references back (asked of a lease the object holds).</summary>
            public ReferenceReleasingMembers? Leases { get; }

            public IMethodSymbol? GetHandle { get; }
            public IMethodSymbol? AddRef { get; }
            public IMethodSymbol? Release { get; }

            public bool IsRelease(IInvocationOperation invocation)
                => SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.OriginalDefinition, Release);

            public bool IsRefCountMember(IMethodSymbol method)
                => SymbolEqualityComparer.Default.Equals(method.OriginalDefinition, GetHandle)
                   || SymbolEqualityComparer.Default.Equals(method.OriginalDefinition, AddRef)
                   || SymbolEqualityComparer.Default.Equals(method.OriginalDefinition, Release);
        }
    }
}
