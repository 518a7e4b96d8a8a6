using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using InteropGuard.Flow;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Rules
{
    /// <summary>Turns the findings of the ownership analysis into the Ownership family's diagnostics and messages.</summary>
    internal static class OwnershipDiagnostics
    {
        private static readonly Regex Whitespace = new Regex(@"\s+");

        public static Diagnostic Leak(Compilation compilation, ResourceSite site, ReleaseResult result, WellKnownTypes types)
        {
            var leak = result.Leak!;
            var allocator = site.Allocator;
            var properties = ImmutableDictionary.CreateBuilder<string, string?>();
            var rewritable = result.FirstLocal != null && !result.Escapes && !result.HasCopies
                             && leak.Kind != LeakKind.Discarded && leak.Kind != LeakKind.NextIteration && leak.Kind != LeakKind.Overwrite;
            var holder = leak.Kind == LeakKind.Discarded
                ? DiscardedHolder(site.Operation)
                : result.FirstLocal != null ? "in '" + result.FirstLocal.Name + "'" : "in a temporary";
            var location = site.Operation.Syntax.GetLocation();
            var additional = result.Releases.Select(r => r.Syntax.GetLocation());

            switch (allocator.Kind)
            {
                case ResourceKind.GCHandle:
                case ResourceKind.MemoryHandle:
                    var isGCHandle = allocator.Kind == ResourceKind.GCHandle;
                    if (isGCHandle)
                    {
                        properties[OwnershipAnalyzer.FixableProperty] = rewritable ? "true" : "false";
                    }
                    else
                    {
                        properties[OwnershipAnalyzer.UsingFixableProperty] = rewritable ? "true" : "false";
                    }

                    var consequence = isGCHandle ? GCHandleConsequence(AllocationBehind(compilation, site.Operation, types), types) : "the memory stays pinned";
                    return Diagnostic.Create(Descriptors.HandleNotReleased, location, additional, properties.ToImmutable(),
                        isGCHandle ? "GCHandle" : "MemoryHandle", holder, allocator.Display, isGCHandle ? "GCHandle.Free" : "Dispose", DescribePath(leak), consequence);

                case ResourceKind.SafeHandle:
                    properties[OwnershipAnalyzer.UsingFixableProperty] = rewritable ? "true" : "false";
                    var name = leak.Kind == LeakKind.Discarded ? DiscardedHolder(site.Operation) : result.FirstLocal != null ? "'" + result.FirstLocal.Name + "'" : "in a temporary";
                    return Diagnostic.Create(Descriptors.SafeHandleNotDisposed, location, additional, properties.ToImmutable(),
                        "SafeHandle " + name + " from '" + allocator.Display + "' is not disposed " + DescribePath(leak), "the native handle stays open until the finalizer runs");

                default:
                    AddGeneratedRelease(properties, compilation, allocator, result.FirstLocal);
                    properties[OwnershipAnalyzer.FixableProperty] = rewritable ? "true" : "false";
                    return Diagnostic.Create(Descriptors.NativeMemoryLeak, location, additional, properties.ToImmutable(),
                        allocator.Display, holder, allocator.Release, DescribePath(leak));
            }
        }

        /// <summary>IG3005 on a SafeHandle type whose constructor gives up ownership while its ReleaseHandle does work.</summary>
        public static Diagnostic NeverReleased(INamedTypeSymbol type, IArgumentOperation ownsHandle)
            => Diagnostic.Create(
                Descriptors.SafeHandleNotDisposed,
                ownsHandle.Syntax.GetLocation(),
                "'" + type.Name + ".ReleaseHandle' never runs: the type passes ownsHandle: false to '" + ownsHandle.Parameter!.ContainingType.Name + "'",
                "the native handle is never released");

        public static Diagnostic WrongDeallocator(Compilation compilation, ResourceSite site, ReleaseResult result, IOperation releaseSite, Deallocator release)
        {
            var allocator = site.Allocator;
            var properties = ImmutableDictionary.CreateBuilder<string, string?>();
            if (allocator.ReleaseMethod != null && ReleaseId(compilation, allocator.ReleaseMethod) is { } releaseId)
            {
                properties[OwnershipAnalyzer.ReleaseMethodProperty] = releaseId;
            }

            var why = release.Family == allocator.Family && allocator.RequiresZeroing
                ? "which does not zero the secret it holds"
                : "which belongs to another allocator";
            return Diagnostic.Create(Descriptors.WrongDeallocator, releaseSite.Syntax.GetLocation(), properties.ToImmutable(),
                allocator.Display, result.FirstLocal?.Name ?? "a temporary", release.Display, why, allocator.Release);
        }

        public static Diagnostic UseAfterRelease(UseAfterRelease finding)
        {
            var reference = finding.Reference.Syntax;
            string what;
            if (finding.IsRelease)
            {
                what = "is released again by '" + (finding.Use.Release?.Display ?? "its release") + "'";
            }
            else
            {
                what = finding.Use.Site switch
                {
                    IInvocationOperation call when call.Instance != null && call.Instance.Syntax.Span.Contains(reference.Span) => "is used by its '" + call.TargetMethod.Name + "'",
                    IInvocationOperation call => "is passed to '" + AllocationCatalogue.Display(call.TargetMethod) + "'",
                    IPropertyReferenceOperation property => "is read through '" + property.Property.Name + "'",
                    _ => "is used",
                };
            }

            var releasedBy = finding.ReleasedBy;
            // The release is named by its own text ('Marshal.FreeHGlobal(p)') and the branch it is in, not by its line.
            var releaseName = releasedBy is IInvocationOperation releaseCall ? Shorten(releaseCall.Syntax) : "its release";
            var releasePlace = releasedBy == null ? string.Empty : OperationNames.Context(releasedBy.Syntax);
            return Diagnostic.Create(Descriptors.UseAfterRelease, reference.GetLocation(), Shorten(reference), what, releaseName, releasePlace);
        }

        private static void AddGeneratedRelease(ImmutableDictionary<string, string?>.Builder properties, Compilation compilation, Allocator allocator, ILocalSymbol? local)
        {
            if (allocator.ReleaseMethod == null || local == null)
            {
                return;
            }

            // NativeMemory's releases take void*, the others IntPtr: a generated call must convert the local (the fix
            // casts a pointer local to the release's parameter type; an IntPtr local cannot go to a void* release).
            var releaseTakesPointer = allocator.ReleaseMethod.StartsWith("System.Runtime.InteropServices.NativeMemory.", System.StringComparison.Ordinal);
            var localIsPointer = local.Type is IPointerTypeSymbol;
            if ((localIsPointer || !releaseTakesPointer) && ReleaseId(compilation, allocator.ReleaseMethod) is { } releaseId)
            {
                properties[OwnershipAnalyzer.ReleaseMethodProperty] = releaseId;
            }
        }

        /// <summary>Is a part of the type declared in generated code (where the family reports nothing)?</summary>
        public static bool IsGenerated(INamedTypeSymbol type, CancellationToken cancellationToken)
            => type.DeclaringSyntaxReferences.Any(r => GeneratedCode.IsGenerated(r.SyntaxTree, cancellationToken));

        public static void ReportNeverFreedFields(SymbolAnalysisContext context, GCHandleFields fields, WellKnownTypes types)
        {
            // Read the fields first: the generated-code test reads each file's leading comments, and few classes hold a GCHandle.
            var type = (INamedTypeSymbol)context.Symbol;
            var neverFreed = fields.NeverFreed(type, context.CancellationToken);
            if (neverFreed.IsEmpty || IsGenerated(type, context.CancellationToken))
            {
                return;
            }

            foreach (var finding in neverFreed)
            {
                context.ReportDiagnostic(NeverFreedField(finding, types, context.CancellationToken));
            }
        }

        /// <summary>
        /// IG3004 on a GCHandle field its class allocates and never frees: reported on the class's Dispose (where the
        /// release belongs) when it has one, otherwise on the first allocation stored into the field.
        /// </summary>
        public static Diagnostic NeverFreedField(NeverFreedHandleField finding, WellKnownTypes types, CancellationToken cancellationToken)
        {
            var type = finding.Field.ContainingType;
            var first = finding.Allocations[0];
            Location location = first.Syntax.GetLocation();
            string where = "anywhere in '" + type.Name + "'";
            if (finding.Dispose != null
                && finding.Dispose.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault() is { } dispose)
            {
                location = dispose.Identifier.GetLocation();
                where = "in '" + type.Name + ".Dispose' or anywhere else in '" + type.Name + "'";
            }

            var holdsItself = finding.Allocations.All(a => a.Arguments.Length > 0 && OperationTree.SkipConversions(a.Arguments[0].Value) is IInstanceReferenceOperation);
            var kinds = finding.Allocations.Select(a => PinningScopes.HandleTypeOf(a, types)).Distinct().ToList();
            var consequence = holdsItself && kinds.All(k => k == PinningScopes.NormalHandleType || k == PinningScopes.PinnedHandleType)
                ? "the '" + type.Name + "' that holds it can never be collected (and its finalizer never runs)"
                : GCHandleConsequence(first, types);
            return Diagnostic.Create(Descriptors.HandleNotReleased, location, finding.Allocations.Select(a => a.Syntax.GetLocation()),
                "GCHandle", "in field '" + finding.Field.Name + "'", "GCHandle.Alloc", "GCHandle.Free", where, consequence);
        }

        /// <summary>The documentation id of the one-parameter static release named <paramref name="qualifiedName"/> in <paramref name="compilation"/>.</summary>
        private static string? ReleaseId(Compilation compilation, string qualifiedName)
        {
            var parts = qualifiedName.Split('.');
            IEnumerable<INamespaceOrTypeSymbol> containers = new[] { compilation.GlobalNamespace };
            for (var i = 0; i < parts.Length - 1; i++)
            {
                var part = parts[i];
                containers = containers.SelectMany(c => c.GetMembers(part).OfType<INamespaceOrTypeSymbol>());
            }

            var release = containers.OfType<INamedTypeSymbol>()
                .SelectMany(t => t.GetMembers(parts[parts.Length - 1]).OfType<IMethodSymbol>())
                .FirstOrDefault(m => m.IsStatic && m.Parameters.Length == 1);
            return release == null ? null : DocumentationCommentId.CreateDeclarationId(release);
        }

        /// <summary>
        /// For a handle from a member of the compilation that returns a fresh one (<c>request.Gch</c>), the one
        /// <c>GCHandle.Alloc</c> in that member when there is exactly one, so the consequence follows its handle type;
        /// otherwise the site itself. Read only when a finding is reported.
        /// </summary>
        private static IOperation AllocationBehind(Compilation compilation, IOperation site, WellKnownTypes types)
        {
            var member = site switch
            {
                IPropertyReferenceOperation property => property.Property.GetMethod,
                IInvocationOperation call when PinningScopes.HandleTypeOf(call, types) == null => call.TargetMethod,
                _ => null,
            };
            if (member == null || member.DeclaringSyntaxReferences.Length != 1)
            {
                return site;
            }

            var declaration = member.DeclaringSyntaxReferences[0].GetSyntax();
            if (!compilation.ContainsSyntaxTree(declaration.SyntaxTree) || !DeclarationBodies.TryGet(declaration, out var body, out var expressionBody))
            {
                return site;
            }

#pragma warning disable RS1030 // Once per reported finding whose handle comes from a member of the compilation.
            var model = compilation.GetSemanticModel(declaration.SyntaxTree);
#pragma warning restore RS1030
            var allocations = model.GetOperation((SyntaxNode?)body ?? expressionBody!) is { } operation
                ? operation.DescendantsAndSelf().OfType<IInvocationOperation>().Where(c => PinningScopes.HandleTypeOf(c, types) != null).Take(2).ToList()
                : new List<IInvocationOperation>();
            return allocations.Count == 1 ? allocations[0] : site;
        }

        // What a GCHandle left allocated costs depends on its type: only Normal and Pinned handles keep the object alive;
        // a weak one leaks its slot in the runtime's handle table.
        private static string GCHandleConsequence(IOperation allocation, WellKnownTypes types)
            => (allocation is IInvocationOperation call ? PinningScopes.HandleTypeOf(call, types) : null) switch
            {
                PinningScopes.PinnedHandleType => "the object stays pinned and can never be collected",
                PinningScopes.NormalHandleType => "the object it refers to can never be collected",
                PinningScopes.WeakHandleType or PinningScopes.WeakTrackResurrectionHandleType
                    => "its slot in the GC handle table is never freed (a weak handle does not keep the object alive)",
                _ => "its slot in the GC handle table is never freed, and the object stays alive unless the handle type is weak",
            };

        private static string DiscardedHolder(IOperation allocation)
        {
            for (var current = allocation.Parent; current != null; current = current.Parent)
            {
                if (current is ISimpleAssignmentOperation { Target: IFieldReferenceOperation field })
                {
                    // Lent to native calls through a field of a local struct (ValueUses): name the field it sits in.
                    return "that is only stored in '" + Shorten(field.Syntax) + "'";
                }

                if (current is IInvocationOperation call)
                {
                    return "that is only passed to '" + AllocationCatalogue.Display(call.TargetMethod) + "'";
                }

                if (current is IObjectCreationOperation creation && creation.Type != null)
                {
                    return "that is only passed to 'new " + creation.Type.Name + "'";
                }
            }

            return "that is never stored";
        }

        /// <summary>The path the resource leaks on, named by its operation and the construct around it, never by a line number.</summary>
        private static string DescribePath(LeakPath leak)
        {
            switch (leak.Kind)
            {
                case LeakKind.Return:
                    return "on the " + Named(leak.Site!);
                case LeakKind.EarlyReturn:
                    return "on an early return";
                case LeakKind.MethodEnd:
                    return "when the method returns";
                case LeakKind.Overwrite:
                    return "before '" + (leak.Variable ?? "it") + "' is overwritten by " + Named(leak.Site!);
                case LeakKind.NextIteration:
                    return leak.Site != null && OperationNames.EnclosingLoop(leak.Site) is { } loop
                        ? "before the next iteration of '" + loop + "' allocates again"
                        : "before the next loop iteration allocates again";
                case LeakKind.Throw:
                    // A catch block that only rethrows ('throw;') has no operation to name.
                    return leak.Site != null ? "on the " + Named(leak.Site) : "when the caught exception is thrown again";
                case LeakKind.MayThrow:
                    return "if '" + Shorten(leak.Site!) + "' throws";
                default:
                    return "on any path";
            }
        }

        /// <summary>'return false' in 'if (!ok)': the operation's text and the branch, loop or handler it is in.</summary>
        private static string Named(SyntaxNode site) => "'" + Shorten(site) + "'" + OperationNames.Context(site);

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
    }
}
